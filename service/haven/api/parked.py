"""GET /v1/posts/parked and POST /v1/posts/parked/{id}/retry: posts whose every attempt
failed, and sending one again once the cause is fixed (scope admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.posts import decision_url
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import DecisionResource, ParkedList
from haven.services import Services
from haven.store.records import ApiKey


class ParkedPostController(Controller):
    path = "/v1/posts/parked"
    tags = ["posts"]  # noqa: RUF012
    guards = [requires("admin")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @get(
        "/",
        responses=problem_responses(400, 401, 403, 503),
        sync_to_thread=True,
        operation_id="listParkedPosts",
        summary="Posts parked after every attempt at deciding them failed",
    )
    def list_parked(
        self,
        request: Request[ApiKey, str, State],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> ParkedList:
        services: Services = request.app.state.services
        return ParkedList(items=services.store.parked_posts(request.user.community, limit))

    @post(
        "/{decision_id:str}/retry",
        responses=problem_responses(400, 401, 403, 404, 503),
        status_code=202,
        sync_to_thread=True,
        operation_id="retryParkedPost",
        summary="Send a parked post again, with a new round of attempts",
    )
    def retry(self, decision_id: FromPath[str], request: Request[ApiKey, str, State]) -> DecisionResource:
        services: Services = request.app.state.services
        now = datetime.now(UTC)
        due_at = now + timedelta(seconds=services.settings.queue.sweep_after_seconds)
        held = services.store.unpark_post(request.user.community, decision_id, due_at)
        if held is None:
            raise Problem(404, "not-found", "no parked post with this id in your community")
        # Held as pending again first: if the queue is away now, the sweeper sends it later.
        try:
            services.work.resubmit([held])
        except Exception:
            services.store.park_post(decision_id, reason="queue unavailable at retry", attempts=0)
            raise Problem(503, "queue-unavailable", "the queue is unavailable; the post stays parked") from None
        return DecisionResource(id=decision_id, url=decision_url(decision_id), status="pending")
