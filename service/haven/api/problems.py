"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import logging
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("haven.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://haven.example/problems/"


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One reason a request's body or parameters were refused."""

    message: Annotated[str, Meta(description="What is wrong.", examples=["Object contains unknown field `mood`"])]
    key: Annotated[str | None, Meta(description="The parameter or field concerned.", examples=["mood"])] = None
    source: Annotated[str | None, Meta(description="Where it was: body, query, path or header.", examples=["body"])] = (
        None
    )


class ProblemDetails(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An error (RFC 9457). Every answer the API gives with an error status is built from this
    Struct, so a member it does not declare cannot be sent."""

    type: Annotated[
        str,
        Meta(
            description="A URI naming the kind of problem; stable, so clients may branch on it.",
            examples=["https://haven.example/problems/invalid-post"],
        ),
    ]
    title: Annotated[str, Meta(description="The HTTP status phrase.", examples=["Unprocessable Entity"])]
    status: Annotated[int, Meta(description="The HTTP status code, repeated.", examples=[422])]
    detail: Annotated[
        str,
        Meta(description="What went wrong, for a person to read.", examples=["/body is longer than 40000 characters"]),
    ]
    instance: Annotated[str, Meta(description="The path that was asked for.", examples=["/v1/posts"])]
    errors: Annotated[
        list[FieldError] | None, Meta(description="Each field or parameter refused (400 validation only).")
    ] = None
    pointer: Annotated[
        str | None,
        Meta(description="JSON pointer (RFC 6901) to the refused value in the body (422).", examples=["/author/id"]),
    ] = None
    required_scope: Annotated[
        str | None, Meta(description="The scope the API key lacks (403).", examples=["ingest"])
    ] = None
    max_chars: Annotated[
        int | None, Meta(description="The longest title or body accepted (422 text-too-long).", examples=[40000])
    ] = None
    failing: Annotated[
        list[str] | None, Meta(description="What does not answer (503 from /readyz).", examples=[["queue"]])
    ] = None
    claimed_by: Annotated[
        str | None, Meta(description="The moderator who holds the item (409 claimed).", examples=["sam"])
    ] = None
    claimed_until: Annotated[
        datetime | None,
        Meta(description="When that moderator's claim ends (409 claimed).", examples=["2026-01-05T09:45:00Z"]),
    ] = None


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
    503: "the database or the queue is unavailable; nothing was accepted or changed, retry later",
}


def problem_responses(*statuses: int, when: dict[int, str] | None = None) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem answers a route may give; `when` overrides a description."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            description=(when or {}).get(status, _WHEN[status]),
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
) -> Response[ProblemDetails]:
    body = ProblemDetails(
        type=TYPE_BASE + slug if slug else "about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        **members,
    )
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


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ProblemDetails]:
    if isinstance(exc, Problem):
        return problem_response(request, exc.status_code, exc.detail, slug=exc.slug, headers=exc.headers, **exc.members)
    members: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException):
        detail = "the request body or parameters are not valid"
        if isinstance(exc.extra, list):
            members["errors"] = msgspec.convert(exc.extra, list[FieldError])
        slug = "validation"
    else:
        slug = _SLUGS.get(exc.status_code, "error")
    return problem_response(request, exc.status_code, detail, slug=slug, headers=exc.headers, **members)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    log.error("api.internal_error", exc_info=exc)
    return problem_response(request, 500, "an internal error occurred", slug="internal")


def database_unavailable_handler(
    request: Request[Any, Any, Any], exc: OperationalError | InterfaceError
) -> Response[ProblemDetails]:
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


def redis_unavailable_handler(request: Request[Any, Any, Any], exc: RedisError) -> Response[ProblemDetails]:
    # Redis away (a plugin's event dedupe, the queue): retryable, like the database.
    log.error("api.redis_unavailable", extra={"error": type(exc).__name__})
    return problem_response(
        request,
        503,
        "the queue is unavailable; try again shortly",
        slug="unavailable",
        headers={"retry-after": "5"},
    )


def undecodable_body_handler(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[ProblemDetails]:
    return problem_response(request, 400, f"the body is not valid UTF-8 (byte {exc.start})", slug="invalid-utf-8")


def too_deep_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[ProblemDetails]:
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
