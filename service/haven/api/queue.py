"""GET /v1/queue and POST /v1/queue/{id}/claim: the decisions waiting for a person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.domain import SEVERITY_RANK, Decision, Evidence
from haven.services import Services
from haven.store.records import ApiKey
from haven.store.review_queue import QueueItem

SEVERITY_NAMES = {rank: name for name, rank in SEVERITY_RANK.items()}


class QueueEntry(msgspec.Struct, kw_only=True):
    decision_id: Annotated[
        str,
        Meta(description="The decision waiting for a person.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    crisis: Annotated[bool, Meta(description="It escalated: a person may be at risk.", examples=[True])]
    severity: Annotated[str, Meta(description="The highest severity among its matches.", examples=["critical"])]
    verdict: Annotated[str, Meta(description="The decision's verdict.", examples=["escalate"])]
    categories: Annotated[list[str], Meta(description="The categories it matched.", examples=[["crisis.self_harm"]])]
    rules: Annotated[
        list[str],
        Meta(description="The rules it matched, as policy/rule.", examples=[["crisis-escalation/explicit-intent"]]),
    ]
    received_at: Annotated[
        datetime,
        Meta(description="When the API accepted the post.", examples=["2026-01-05T09:30:01Z"]),
    ]
    post_url: Annotated[
        str | None,
        Meta(description="Where a moderator can read the post.", examples=["https://forum.example/t/rough-week/42"]),
    ]
    claimed_by: Annotated[
        str | None,
        Meta(description="The moderator whose claim is running, if any.", examples=["mod-alex"]),
    ]
    claimed_until: Annotated[
        datetime | None,
        Meta(description="When that claim ends.", examples=["2026-01-05T09:45:00Z"]),
    ]
    # None when the decision did not escalate.
    acknowledged_by: Annotated[
        str | None,
        Meta(description="Who acknowledged the escalation (null when it did not escalate).", examples=["mod-alex"]),
    ] = None
    acknowledged: Annotated[
        bool | None,
        Meta(description="Whether the escalation is acknowledged (null when it did not escalate).", examples=[False]),
    ] = None
    # Left out (null) while HAVEN_QUEUE_BLUR_EVIDENCE is on: a moderator sees it by claiming the item.
    evidence: Annotated[
        list[Evidence] | None,
        Meta(
            description="The words that made the rules match; null while HAVEN_QUEUE_BLUR_EVIDENCE is on "
            "(claim the item to see them).",
        ),
    ] = None
    links: Annotated[
        dict[str, str],
        Meta(
            description="Where to review, acknowledge or claim it.",
            examples=[{"review": "/v1/decisions/0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10/review"}],
        ),
    ] = msgspec.field(default_factory=dict)


class Queue(msgspec.Struct, kw_only=True):
    items: Annotated[
        list[QueueEntry],
        Meta(description="Decisions waiting for a person, crisis first (unless past the crisis cap)."),
    ]
    evidence_blurred: Annotated[
        bool,
        Meta(description="Evidence is left out of the list (HAVEN_QUEUE_BLUR_EVIDENCE).", examples=[False]),
    ]
    # The moderator's crisis claims in a row, and the cap after which other work comes first.
    crisis_in_row: Annotated[int, Meta(description="The asking moderator's crisis claims in a row.", examples=[2])] = 0
    crisis_cap: Annotated[
        int,
        Meta(
            description="After this many crisis claims in a row, other work comes first for that moderator.",
            examples=[5],
        ),
    ] = 0


class ClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    moderator: Annotated[
        Annotated[str, Meta(min_length=1, max_length=200)],
        Meta(description="Who claims it (a name or id of your own).", examples=["mod-alex"]),
    ]


class Claim(msgspec.Struct, kw_only=True):
    decision_id: Annotated[
        str,
        Meta(description="The claimed decision.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    claimed_by: Annotated[str, Meta(description="Who holds the claim.", examples=["mod-alex"])]
    claimed_until: Annotated[
        datetime,
        Meta(description="When the claim ends unless reviewed.", examples=["2026-01-05T09:45:00Z"]),
    ]
    crisis_in_row: Annotated[
        int,
        Meta(description="The moderator's crisis claims in a row, this one included.", examples=[3]),
    ]
    decision: Annotated[Decision, Meta(description="The decision, evidence included.")]
    links: Annotated[
        dict[str, str],
        Meta(
            description="Where to review or acknowledge it.",
            examples=[{"review": "/v1/decisions/0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10/review"}],
        ),
    ]


def _entry(services: Services, item: QueueItem, decision: Decision, acknowledged_by: str | None) -> QueueEntry:
    escalation = item.crisis
    return QueueEntry(
        decision_id=item.decision_id,
        crisis=item.crisis,
        severity=SEVERITY_NAMES.get(item.severity, "low"),
        verdict=decision.verdict,
        categories=decision.categories,
        rules=[f"{m.policy}/{m.rule}" for m in decision.matches],
        received_at=item.received_at,
        post_url=decision.post.url,
        claimed_by=item.claimed_by if item.claimed_until and item.claimed_until > datetime.now(UTC) else None,
        claimed_until=item.claimed_until if item.claimed_until and item.claimed_until > datetime.now(UTC) else None,
        acknowledged_by=acknowledged_by,
        acknowledged=(acknowledged_by is not None) if escalation else None,
        evidence=None
        if services.settings.moderation.blur_evidence
        else [e for m in decision.matches for e in m.evidence],
        links=services.loop.links(item.decision_id),
    )


class QueueController(Controller):
    path = "/v1/queue"
    tags = ["queue"]  # noqa: RUF012
    guards = [requires("review")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @get(
        "/",
        responses=problem_responses(400, 401, 403, 503),
        sync_to_thread=True,
        operation_id="listQueue",
        summary="Decisions waiting for a person",
    )
    def waiting(
        self,
        request: Request[ApiKey, str, State],
        moderator: Annotated[
            str | None, QueryParameter(description="who asks: past the crisis cap, other work comes first")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Queue:
        services: Services = request.app.state.services
        community = request.user.community
        items = services.loop.queue.waiting(community, limit)
        decisions = {d.id: d for d in services.store.get_decisions([i.decision_id for i in items])}
        escalations = services.loop.escalations.of([i.decision_id for i in items if i.crisis])
        cap = services.settings.moderation.crisis_in_row
        in_row = services.loop.queue.crisis_in_row(community, moderator) if moderator else 0
        if moderator and cap and in_row >= cap:
            # Enough crisis content in a row: other work first for this moderator. Crisis items
            # stay in the list (after it), so a crisis never waits for want of other work.
            items = sorted(items, key=lambda i: i.crisis)
        entries = [
            _entry(
                services,
                item,
                decisions[item.decision_id],
                escalations[item.decision_id].acknowledged_by if item.decision_id in escalations else None,
            )
            for item in items
            if item.decision_id in decisions
        ]
        return Queue(
            items=entries,
            evidence_blurred=services.settings.moderation.blur_evidence,
            crisis_in_row=in_row,
            crisis_cap=cap,
        )

    @post(
        "/{decision_id:str}/claim",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
        status_code=200,
        sync_to_thread=True,
        operation_id="claimQueueItem",
        summary="Claim an item for a while: no other moderator can claim it meanwhile",
    )
    def claim(self, decision_id: FromPath[str], data: JSONBody[ClaimIn], request: Request[ApiKey, str, State]) -> Claim:
        services: Services = request.app.state.services
        community = request.user.community
        try:
            result = services.loop.claim(community, decision_id, data.moderator)
        except LookupError:
            raise Problem(404, "not-found", "no queue item with this id in your community") from None
        item = result.item
        if result.outcome == "reviewed":
            raise Problem(409, "already-reviewed", "this decision was reviewed already")
        if result.outcome == "taken":
            raise Problem(
                409,
                "claimed",
                f"{item.claimed_by} is working on this item",
                claimed_by=item.claimed_by,
                claimed_until=item.claimed_until.isoformat() if item.claimed_until else None,
            )
        stored = services.store.get_decision(community, decision_id)
        if stored is None or item.claimed_until is None:
            raise Problem(404, "not-found", "no decision with this id in your community")
        return Claim(
            decision_id=decision_id,
            claimed_by=data.moderator,
            claimed_until=item.claimed_until,
            crisis_in_row=result.crisis_in_row,
            decision=stored.decision,
            links=services.loop.links(decision_id),
        )
