"""GET /v1/actions/failed and POST /v1/actions/{id}/retry: platform actions given up on
after their last attempt, and carrying one out again (scope admin)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from msgspec import Meta

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.plugins.ledger import PlatformAction
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE
from haven.services import Services
from haven.store.records import ApiKey


class FailedActions(msgspec.Struct, kw_only=True):
    items: Annotated[list[PlatformAction], Meta(description="Platform actions given up on after their last attempt.")]


class ActionController(Controller):
    path = "/v1/actions"
    tags = ["actions"]  # noqa: RUF012
    guards = [requires("admin")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @get(
        "/failed",
        responses=problem_responses(400, 401, 403, 503),
        sync_to_thread=True,
        operation_id="listFailedActions",
        summary="Platform actions given up on",
    )
    def list_failed(
        self,
        request: Request[ApiKey, str, State],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> FailedActions:
        services: Services = request.app.state.services
        if services.platform is None:
            return FailedActions(items=[])
        return FailedActions(items=services.platform.ledger.failed(request.user.community, limit))

    @post(
        "/{action_id:str}/retry",
        responses=problem_responses(400, 401, 403, 404, 503),
        status_code=202,
        sync_to_thread=True,
        operation_id="retryFailedAction",
        summary="Carry out a failed platform action again, with a new round of attempts",
    )
    def retry(self, action_id: FromPath[str], request: Request[ApiKey, str, State]) -> None:
        services: Services = request.app.state.services
        platform, dispatch = services.platform, services.dispatch
        if platform is None or dispatch is None or not platform.ledger.retry(request.user.community, action_id):
            raise Problem(404, "not-found", "no failed platform action with this id in your community")
        record = platform.ledger.get(action_id)
        dispatch.act([(action_id, CRISIS_QUEUE if record is not None and record.kind == "escalate" else DEFAULT_QUEUE)])
