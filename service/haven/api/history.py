"""GET /v1/decisions/{id}/history: everything that happened to one decision, in time order."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.moderation.history import DecisionHistory, decision_history
from haven.plugins.ledger import ActionLedger
from haven.services import Services
from haven.store.records import ApiKey


class HistoryController(Controller):
    path = "/v1/decisions/{decision_id:str}/history"
    tags = ["reviews"]  # noqa: RUF012
    # The moderators' view (review), as the queue, the reviews and the acknowledgements are.
    guards = [requires("review")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @get(
        "/",
        responses=problem_responses(400, 401, 403, 404, 503),
        sync_to_thread=True,
        operation_id="getDecisionHistory",
        summary="One decision's history: reviews, acknowledgement, reminders, webhook deliveries, platform actions",
        description="The decision itself (verdict, policy version, evidence), then in time order everything "
        "that followed: moderators' reviews, the escalation's reminders and acknowledgement, webhook "
        "deliveries (event, status, attempts; never a secret or a subscriber's address) and the platform "
        "actions of the action ledger.",
    )
    def get_one(self, decision_id: FromPath[str], request: Request[ApiKey, str, State]) -> DecisionHistory:
        services: Services = request.app.state.services
        history = decision_history(
            services.store,
            services.loop.escalations,
            services.loop.queue,
            # With no plugin loaded here, the ledger still holds what a worker's plugins did.
            services.platform.ledger if services.platform is not None else ActionLedger(services.store.engine),
            request.user.community,
            decision_id,
        )
        if history is None:
            raise Problem(404, "not-found", "no decision with this id in your community")
        return history
