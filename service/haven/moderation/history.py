"""One decision's history, as a moderator reads it: what was decided, who reviewed it, the
escalation's acknowledgement and reminders, what was sent to subscribers and done on the
platform, in time order. Read from the stores; nothing here writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from haven.domain import Decision
from haven.plugins.ledger import ActionLedger, PlatformAction
from haven.store.escalations import Escalation, EscalationLedger
from haven.store.records import DeliveryReport, Review
from haven.store.repository import Store
from haven.store.review_queue import ReviewQueueStore

EntryKind = Literal[
    "received",
    "decided",
    "escalation.opened",
    "escalation.reminder",
    "escalation.unacknowledged",
    "escalation.acknowledged",
    "review",
    "webhook",
    "action",
]


class HistoryEntry(msgspec.Struct, kw_only=True, frozen=True):
    at: Annotated[datetime, Meta(description="When it happened.", examples=["2026-01-05T09:30:01Z"])]
    kind: Annotated[
        EntryKind,
        Meta(
            description="received, decided, escalation.opened, escalation.reminder, escalation.unacknowledged, "
            "escalation.acknowledged, review, webhook or action.",
            examples=["review"],
        ),
    ]
    by: Annotated[
        str | None,
        Meta(description="The moderator, for a review or an acknowledgement.", examples=["mod-alex"]),
    ] = None
    detail: Annotated[
        str,
        Meta(
            description="What happened, in words: a verdict, an outcome and note, an event and its status.",
            examples=["overturned: quoting a news article"],
        ),
    ] = ""


class ActionAttempt(msgspec.Struct, kw_only=True, frozen=True):
    attempt: Annotated[int, Meta(description="The attempt's number, from 1.", examples=[1])]
    at: Annotated[datetime, Meta(description="When it was made.", examples=["2026-01-05T09:30:02Z"])]
    status: Annotated[str, Meta(description="How it went: done, retry, failed, unsupported ….", examples=["done"])]
    detail: Annotated[str, Meta(description="The plugin's word on it (never a secret).", examples=["removed"])]


class ActionReport(msgspec.Struct, kw_only=True, frozen=True):
    action: Annotated[PlatformAction, Meta(description="The platform action as the ledger holds it.")]
    attempts: Annotated[
        list[ActionAttempt],
        Meta(description="Every attempt at carrying it out, oldest first."),
    ]


class QueueState(msgspec.Struct, kw_only=True, frozen=True):
    crisis: Annotated[bool, Meta(description="It is in the queue as a crisis.", examples=[True])]
    reviewed_at: Annotated[
        datetime | None,
        Meta(description="When a review took it off the queue.", examples=["2026-01-05T09:40:00Z"]),
    ]
    claimed_by: Annotated[
        str | None,
        Meta(description="Who holds or last held a claim on it.", examples=["mod-alex"]),
    ]
    claimed_until: Annotated[
        datetime | None,
        Meta(description="When that claim ends or ended.", examples=["2026-01-05T09:45:00Z"]),
    ]


class DecisionHistory(msgspec.Struct, kw_only=True):
    decision: Annotated[Decision, Meta(description="The decision: verdict, policy version, matches with evidence.")]
    timeline: Annotated[list[HistoryEntry], Meta(description="Everything below, in time order, oldest first.")]
    reviews: Annotated[list[Review], Meta(description="Moderators' reviews, oldest first.")]
    escalation: Annotated[
        Escalation | None,
        Meta(description="The escalation's acknowledgement and reminders (null when it did not escalate)."),
    ]
    queue: Annotated[
        QueueState | None,
        Meta(description="Its place in the review queue (null when it never needed a person)."),
    ]
    deliveries: Annotated[
        list[DeliveryReport],
        Meta(description="Webhook deliveries of events about it, oldest first: event, status and attempts."),
    ]
    actions: Annotated[list[ActionReport], Meta(description="What the platform's plugin did about it.")]


def decision_history(
    store: Store,
    escalations: EscalationLedger,
    queue: ReviewQueueStore,
    actions: ActionLedger,
    community: str,
    decision_id: str,
) -> DecisionHistory | None:
    """None when the community has no such decision."""
    stored = store.get_decision(community, decision_id)
    if stored is None:
        return None
    escalation = escalations.get(community, decision_id)
    item = queue.get(community, decision_id)
    deliveries = store.decision_deliveries(community, decision_id)
    reports = [
        ActionReport(action=a, attempts=[ActionAttempt(**attempt) for attempt in actions.attempts(a.id)])
        for a in actions.for_decision(decision_id)
        if a.community == community
    ]
    return DecisionHistory(
        decision=stored.decision,
        timeline=timeline(stored.decision, stored.reviews, escalation, deliveries, reports),
        reviews=stored.reviews,
        escalation=escalation,
        queue=None
        if item is None
        else QueueState(
            crisis=item.crisis,
            reviewed_at=item.reviewed_at,
            claimed_by=item.claimed_by,
            claimed_until=item.claimed_until,
        ),
        deliveries=deliveries,
        actions=reports,
    )


def timeline(
    decision: Decision,
    reviews: list[Review],
    escalation: Escalation | None,
    deliveries: list[DeliveryReport],
    actions: list[ActionReport],
) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    timings = decision.timings
    if timings.received_at is not None:
        entries.append(HistoryEntry(at=timings.received_at, kind="received"))
    if timings.decided_at is not None:
        rules = ", ".join(f"{m.policy}/{m.rule}" for m in decision.matches) or "no rule"
        entries.append(
            HistoryEntry(
                at=timings.decided_at,
                kind="decided",
                detail=f"{decision.verdict} by {rules} (policy version {decision.policy_version})",
            )
        )
    if escalation is not None:
        entries.append(HistoryEntry(at=escalation.opened_at, kind="escalation.opened"))
        entries += [
            HistoryEntry(at=at, kind="escalation.reminder", detail=f"reminder {n}")
            for n, at in enumerate(escalation.reminded_at, start=1)
        ]
        if escalation.unacknowledged_at is not None:
            entries.append(
                HistoryEntry(
                    at=escalation.unacknowledged_at,
                    kind="escalation.unacknowledged",
                    detail="the on-call list was told",
                )
            )
        if escalation.acknowledged_at is not None:
            entries.append(
                HistoryEntry(
                    at=escalation.acknowledged_at, kind="escalation.acknowledged", by=escalation.acknowledged_by
                )
            )
    entries += [
        HistoryEntry(
            at=r.created_at, kind="review", by=r.moderator, detail=r.outcome + (f": {r.note}" if r.note else "")
        )
        for r in reviews
    ]
    for d in deliveries:
        tries = len(d.attempts)
        entries.append(
            HistoryEntry(
                at=d.created_at,
                kind="webhook",
                detail=f"{d.event_type} {d.status} after {tries} attempt{'' if tries == 1 else 's'}",
            )
        )
    for report in actions:
        first = report.attempts[0].at if report.attempts else None
        if first is None:
            continue  # planned and never tried yet: it shows in `actions`, with no time to place it
        entries.append(
            HistoryEntry(
                at=first,
                kind="action",
                detail=f"{report.action.kind} on {report.action.platform}: {report.action.status}",
            )
        )
    # A stable sort: entries written at the same instant keep the order above (decided before reviewed).
    return sorted(entries, key=lambda e: e.at)
