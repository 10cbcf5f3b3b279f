"""POST /v1/decisions/{id}/acknowledge: a moderator has seen an escalation; reminders stop."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.moderation.loop import NotAnEscalation
from haven.queues import CRISIS_QUEUE
from haven.services import Services
from haven.store.escalations import Escalation
from haven.store.records import ApiKey


class AcknowledgeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    moderator: Annotated[
        Annotated[str, Meta(min_length=1, max_length=200)],
        Meta(description="Who acknowledges it (a name or id of your own).", examples=["mod-alex"]),
    ]


def acknowledge(services: Services, community: str, decision_id: str, moderator: str) -> Escalation:
    """The one acknowledgement path: the API, the console and the plugins' host."""
    escalation, pending, fresh = services.loop.acknowledge(services.store, community, decision_id, moderator)
    if pending:
        services.work.deliver(pending, queue=CRISIS_QUEUE)
    if fresh:
        # Told once, by whoever won the row: a later acknowledgement changes nothing anywhere.
        announce_acknowledged(services, community, escalation)
    return escalation


def announce_acknowledged(services: Services, community: str, escalation: Escalation) -> None:
    """Tell the post's plugin who took the escalation (its first acknowledgement)."""
    if escalation.acknowledged_at is not None and escalation.acknowledged_by is not None:
        services.escalation_acknowledged(
            community, escalation.decision_id, escalation.acknowledged_by, escalation.acknowledged_at
        )


class AcknowledgeController(Controller):
    path = "/v1/decisions/{decision_id:str}/acknowledge"
    tags = ["escalations"]  # noqa: RUF012
    guards = [requires("review")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @post(
        "/",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
        status_code=200,
        sync_to_thread=True,
        operation_id="acknowledgeEscalation",
        summary="Acknowledge an escalation: reminders stop (the first acknowledgement counts)",
    )
    def create(
        self, decision_id: FromPath[str], data: JSONBody[AcknowledgeIn], request: Request[ApiKey, str, State]
    ) -> Escalation:
        services: Services = request.app.state.services
        try:
            escalation = acknowledge(services, request.user.community, decision_id, data.moderator)
        except NotAnEscalation:
            raise Problem(
                409, "not-an-escalation", "this decision did not escalate: there is nothing to acknowledge"
            ) from None
        except LookupError:
            raise Problem(404, "not-found", "no decision with this id in your community") from None
        return escalation
