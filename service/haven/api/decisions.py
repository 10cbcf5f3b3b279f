"""GET /v1/decisions/{id} and GET /v1/decisions, scoped to the key's community."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.posts import decision_url
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import DecisionList, DecisionResource
from haven.domain import VERDICT_NAMES
from haven.services import Services
from haven.store.records import ApiKey


class DecisionController(Controller):
    path = "/v1/decisions"
    tags = ["decisions"]  # noqa: RUF012
    guards = [requires("read")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @get(
        "/{decision_id:str}",
        responses=problem_responses(400, 401, 403, 404, 503),
        sync_to_thread=True,
        operation_id="getDecision",
        summary="One decision, or pending",
    )
    def get_one(self, decision_id: FromPath[str], request: Request[ApiKey, str, State]) -> DecisionResource:
        services: Services = request.app.state.services
        stored = services.store.get_decision(request.user.community, decision_id)
        url = decision_url(decision_id)
        if stored is None:
            held = services.store.held_posts([decision_id]).get(decision_id)
            if held is not None and held.community == request.user.community:
                if held.status == "parked":
                    return DecisionResource(id=decision_id, url=url, status="failed", reason=held.reason)
                return DecisionResource(id=decision_id, url=url, status="pending")
            if services.work.is_pending(request.user.community, decision_id):
                return DecisionResource(id=decision_id, url=url, status="pending")
            # Decided since the first read: a decision is stored before its post stops being
            # held and pending, so a second read finds it (without it such a GET answered 404).
            stored = services.store.get_decision(request.user.community, decision_id)
            if stored is None:
                raise Problem(404, "not-found", "no decision with this id in your community")
        return DecisionResource(
            id=decision_id, url=url, status="decided", decision=stored.decision, reviews=stored.reviews
        )

    @get(
        "/",
        responses=problem_responses(400, 401, 403, 503),
        sync_to_thread=True,
        operation_id="listDecisions",
        summary="Decisions, newest first, with cursor paging",
    )
    def list_decisions(
        self,
        request: Request[ApiKey, str, State],
        verdict: Annotated[str | None, QueryParameter(description="allow, nudge, … escalate")] = None,
        category: Annotated[str | None, QueryParameter(description="a category or its prefix, e.g. crisis")] = None,
        since: Annotated[datetime | None, QueryParameter(description="decided at or after")] = None,
        cursor: Annotated[str | None, QueryParameter(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> DecisionList:
        if verdict is not None and verdict not in VERDICT_NAMES:
            raise Problem(400, "bad-filter", f"verdict must be one of {', '.join(VERDICT_NAMES)}")
        if since is not None and since.tzinfo is None:
            raise Problem(400, "bad-filter", "since needs a time zone, e.g. 2026-01-01T00:00:00Z")
        services: Services = request.app.state.services
        try:
            page = services.store.list_decisions(
                request.user.community,
                verdict=verdict,
                category=category,
                since=since,
                cursor=cursor,
                limit=limit,
            )
        except ValueError as exc:
            raise Problem(400, "bad-cursor", str(exc)) from exc
        return DecisionList(items=page.items, next_cursor=page.next_cursor)
