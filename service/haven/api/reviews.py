"""POST /v1/decisions/{id}/review: a moderator upholds or overturns a decision."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.escalations import announce_acknowledged
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import ReviewIn
from haven.pipeline import record_review
from haven.services import Services
from haven.store.records import ApiKey, Review


def review(
    services: Services, community: str, decision_id: str, outcome: str, moderator: str, note: str
) -> Review | None:
    """The one review path: the API, the console and the plugins' host. The post's plugin hears
    of the review and, when it was the escalation's first acknowledgement, of that too, so every
    platform's alert says who took it. None when the community has no such decision."""

    found = record_review(
        services.store, services.work, community, decision_id, outcome=outcome, moderator=moderator,
        note=note, loop=services.loop, on_acknowledged=lambda e: announce_acknowledged(services, community, e),
    )  # fmt: skip
    if found is not None:
        services.review_recorded(community, decision_id, outcome, moderator)
    return found


class ReviewController(Controller):
    path = "/v1/decisions/{decision_id:str}/review"
    tags = ["reviews"]  # noqa: RUF012
    guards = [requires("review")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @post(
        "/",
        responses=problem_responses(400, 401, 403, 404, 503),
        status_code=201,
        sync_to_thread=True,
        operation_id="reviewDecision",
        summary="Record a moderator's review",
    )
    def create(
        self, decision_id: FromPath[str], data: JSONBody[ReviewIn], request: Request[ApiKey, str, State]
    ) -> Review:
        services: Services = request.app.state.services
        found = review(services, request.user.community, decision_id, data.outcome, data.moderator, data.note)
        if found is None:
            raise Problem(404, "not-found", "no decision with this id in your community")
        return found
