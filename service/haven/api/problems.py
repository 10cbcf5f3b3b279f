"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("haven.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://haven.example/problems/"


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An error (RFC 9457); some carry more members, e.g. `errors`, `pointer`, `required_scope`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str


_WHEN = {
    400: "malformed JSON, invalid UTF-8, unknown or missing fields, bad filters",
    401: "no API key, or an unknown one",
    403: "the key lacks the scope, or belongs to another community",
    404: "nothing with this id in the key's community",
    409: "another moderator holds the item, it was reviewed already, the decision is not an escalation, "
    "or the policy is kept as a file",
    413: "the body is larger than HAVEN_MAX_BODY_BYTES",
    415: "the body is not of the media type the route takes",
    422: "a field's value is not acceptable (`pointer` names it)",
    503: "the queue is unavailable; nothing was accepted",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem answers a route may give."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            description=_WHEN[status],
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }


class Problem(HTTPException):
    """An API error with a stable `type` slug and optional extension members."""

    def __init__(
        self,
        status_code: int,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail=detail, status_code=status_code, headers=headers)
        self.slug = slug
        self.members = members


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **members,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid",
    503: "unavailable",
}


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, Problem):
        return problem_response(request, exc.status_code, exc.detail, slug=exc.slug, headers=exc.headers, **exc.members)
    members: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException):
        detail = "the request body or parameters are not valid"
        if isinstance(exc.extra, list):
            members["errors"] = exc.extra
        slug = "validation"
    else:
        slug = _SLUGS.get(exc.status_code, "error")
    return problem_response(request, exc.status_code, detail, slug=slug, headers=exc.headers, **members)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("api.internal_error", exc_info=exc)
    return problem_response(request, 500, "an internal error occurred", slug="internal")


def database_unavailable_handler(
    request: Request[Any, Any, Any], exc: OperationalError | InterfaceError
) -> Response[dict[str, Any]]:
    # Connection refused, lost or timed out: the request may succeed later, so say so (503
    # with Retry-After) rather than 500. The exception text can carry the URL; log its type.
    log.error("api.database_unavailable", extra={"error": type(exc.orig).__name__})
    return problem_response(
        request,
        503,
        "the database is unavailable; try again shortly",
        slug="unavailable",
        headers={"retry-after": "5"},
    )


def redis_unavailable_handler(request: Request[Any, Any, Any], exc: RedisError) -> Response[dict[str, Any]]:
    # Redis away (a plugin's event dedupe, the queue): retryable, like the database.
    log.error("api.redis_unavailable", extra={"error": type(exc).__name__})
    return problem_response(
        request,
        503,
        "the queue is unavailable; try again shortly",
        slug="unavailable",
        headers={"retry-after": "5"},
    )


def undecodable_body_handler(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
    return problem_response(request, 400, f"the body is not valid UTF-8 (byte {exc.start})", slug="invalid-utf-8")


def too_deep_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # msgspec (and json) recurse once per level of nesting: a body of a million brackets
    # exhausts the stack while decoding, before any handler sees it.
    return problem_response(request, 400, "the JSON is nested too deeply", slug="nested-too-deep")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    RecursionError: too_deep_handler,
    HTTPException: http_exception_handler,
    UnicodeDecodeError: undecodable_body_handler,
    OperationalError: database_unavailable_handler,
    InterfaceError: database_unavailable_handler,
    RedisConnectionError: redis_unavailable_handler,
    RedisTimeoutError: redis_unavailable_handler,
    Exception: internal_error_handler,
}
