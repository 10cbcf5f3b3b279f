"""Posts whose evaluation keeps failing: tried a bounded number of times, then parked.

A parked post stays held in the database with the reason (an exception's type, never
the post's text); `GET /v1/posts/parked` lists it and an operator sends it again with
`POST /v1/posts/parked/{id}/retry`. Failures of the stores themselves (the database
or Redis away) are not the post's fault: such a post is left held and pending, and the
sweeper queues it again once it is overdue, however long the outage lasts.
"""

from __future__ import annotations

import logging

import redis
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from haven import metrics
from haven.domain import Post
from haven.store.repository import Store

log = logging.getLogger("haven.parking")

_OUTAGES: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_outage(exc: BaseException) -> bool:
    """A store being away, which retrying later cures; not something wrong with the post."""
    return isinstance(exc, _OUTAGES)


def failure_reason(exc: BaseException) -> str:
    """Type names only: a database's message can quote the values it refused."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__}: {type(exc.orig).__name__}"
    return type(exc).__name__


def give_up(store: Store, post: Post, exc: BaseException, attempts: int) -> None:
    """The last attempt at `post` failed: park it, or leave it to the sweeper after an outage."""
    ids = {"decision_id": post.decision_id(), "community": post.community, "attempts": attempts}
    reason = failure_reason(exc)
    if is_outage(exc):
        log.warning("post.left_for_sweeper", extra={**ids, "reason": reason})
        return
    try:
        parked = store.park_post(post.decision_id(), reason=reason, attempts=attempts)
    except Exception as store_error:
        # Still held as pending: the sweeper queues it again once overdue.
        log.warning("post.park_failed", extra={**ids, "reason": failure_reason(store_error)})
        return
    if parked:
        metrics.POSTS_PARKED.inc()
        log.error("post.parked", extra={**ids, "reason": reason})
