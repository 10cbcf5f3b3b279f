"""POST /v1/posts and /v1/posts/batch: validate, deduplicate, enqueue, answer 202."""

from __future__ import annotations

import collections
import logging
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import JSONBody

from haven import metrics
from haven.api.auth import API_KEY_SECURITY, requires, same_community
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import Accepted, BatchAccepted, PostBatch
from haven.domain import Post
from haven.policy import crisis_prone
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE
from haven.services import Services
from haven.store.records import ApiKey

log = logging.getLogger("haven.api")

# Longest identifiers the store keeps (see service/store/models.py).
ID_LIMITS = {"platform": 100, "community": 200, "external_id": 500, "revision": 200}
AUTHOR_ID_LIMIT = 500


def decision_url(decision_id: str) -> str:
    return f"/v1/decisions/{decision_id}"


# What PostgreSQL cannot keep in text or JSON: NUL, and UTF-16 surrogates standing alone
# (no UTF-8 encodes them). Refused at the door, or the post would fail in every worker.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _strings(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) of every string inside a post's builtins."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}")


def check_storable(post: Post, where: str = "") -> None:
    # Nearly every post holds neither: its JSON says so at once (a NUL is always written
    # "\\u0000", and a lone surrogate cannot be encoded at all), and only a post whose JSON
    # might hold one (a backslash before "u0000" reads the same) is walked string by string
    # to say where.
    try:
        if b"\\u0000" not in msgspec.json.encode(post):
            return
    except UnicodeEncodeError:
        pass
    for pointer, text in _strings(msgspec.to_builtins(post), where):
        found = _UNSTORABLE.search(text)
        if found is not None:
            raise Problem(
                422,
                "unstorable-text",
                f"{pointer} holds U+{ord(found.group()):04X} at character {found.start()}, which cannot be stored",
                pointer=pointer,
            )


def check_post(post: Post, max_text_chars: int, where: str = "") -> None:
    """`where` is the post's JSON pointer in a batch ("/posts/3"), empty for a single post."""
    check_storable(post, where)
    limits = [(f"/{name}", getattr(post, name), limit) for name, limit in ID_LIMITS.items()]
    for pointer, value, limit in [*limits, ("/author/id", post.author.id, AUTHOR_ID_LIMIT)]:
        if not value or len(value) > limit:
            raise Problem(
                422,
                "invalid-post",
                f"{where}{pointer} must be 1 to {limit} characters",
                pointer=where + pointer,
            )
    for name in ("title", "body"):
        if len(getattr(post, name)) > max_text_chars:
            raise Problem(
                422,
                "text-too-long",
                f"{where}/{name} is longer than {max_text_chars} characters",
                pointer=f"{where}/{name}",
                max_chars=max_text_chars,
            )


def accept(services: Services, key: ApiKey, posts: Sequence[Post]) -> list[Accepted]:
    """Posts of the key's own community only, then `enqueue`."""
    for one in posts:
        same_community(key, one.community)
    return enqueue(services, posts)


def enqueue(services: Services, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[Accepted]:
    """Dedupe on the post's identity, queue what is new (crisis-prone posts first).

    The one ingest path: POST /v1/posts and the plugins (`PluginHost.ingest`)."""
    max_chars = services.settings.server.max_text_chars
    for index, one in enumerate(posts):
        check_post(one, max_chars, f"/posts/{index}" if len(posts) > 1 else "")
    received_at = received_at or datetime.now(UTC)
    ids = [p.decision_id() for p in posts]
    fresh = [True] * len(posts)
    # Before any claim: a failure past a claim would leave the post a "duplicate" never queued.
    triaged = crisis_prone([(services.policies.for_post(p), p) for p in posts])
    queues = [CRISIS_QUEUE if prone else DEFAULT_QUEUE for prone in triaged]
    by_community: dict[str, list[int]] = {}
    for index, one in enumerate(posts):
        by_community.setdefault(one.community, []).append(index)
    claimed_so_far: list[str] = []
    try:
        for community, indexes in by_community.items():
            claimed = services.work.claim(community, [ids[i] for i in indexes], received_at)
            for i, new in zip(indexes, claimed, strict=True):
                fresh[i] = new
                if new:
                    claimed_so_far.append(ids[i])
    except Exception as exc:
        _give_back(services, claimed_so_far)
        log.exception("posts.claim_failed", extra={"count": len(posts)})
        raise Problem(503, "queue-unavailable", "the queue is unavailable; nothing was accepted, retry later") from exc
    due_at = received_at + timedelta(seconds=services.settings.queue.sweep_after_seconds)
    try:
        _requeue_lost_repeats(services, ids, fresh, received_at)
        # Held in the database before the 202 and until decided: whatever becomes of the
        # task, the sweeper finds the post and queues it again.
        services.store.hold_pending(
            [(one, received_at, queue) for one, new, queue in zip(posts, fresh, queues, strict=True) if new],
            due_at=due_at,
        )
    except Exception:
        _give_back(services, claimed_so_far)
        raise
    by_queue: dict[str, list[Post]] = {}
    for one, new, queue in zip(posts, fresh, queues, strict=True):
        if new:
            by_queue.setdefault(queue, []).append(one)
    try:
        for queue, batch in by_queue.items():
            services.work.submit(batch, received_at=received_at, queue=queue)
    except Exception as exc:
        _give_back(services, claimed_so_far)
        log.exception("posts.enqueue_failed", extra={"count": len(posts)})
        raise Problem(503, "queue-unavailable", "the queue is unavailable; retry later") from exc
    accepted = []
    for decision_id, new, queue in zip(ids, fresh, queues, strict=True):
        accepted.append(
            Accepted(
                id=decision_id,
                url=decision_url(decision_id),
                status="queued" if new else "duplicate",
                queue=queue,  # type: ignore[arg-type]
            )
        )
    # Counted once a (queue, outcome) a request, not once a post.
    for (queue, status), count in collections.Counter((a.queue, a.status) for a in accepted).items():
        metrics.POSTS_RECEIVED.labels(queue=queue, outcome=status).inc(count)
    log.info(
        "posts.accepted",
        extra={"communities": sorted(by_community), "decision_ids": ids, "count": len(ids)},
    )
    return accepted


def _requeue_lost_repeats(services: Services, ids: Sequence[str], fresh: list[bool], received_at: datetime) -> None:
    """A repeat is a duplicate while its post is decided, or held and not overdue; one that
    is neither (its task lost, or the API stopped between claiming and holding it) is
    queued again, not answered duplicate."""
    repeats = [i for i, new in enumerate(fresh) if not new]
    if not repeats:
        return
    repeat_ids = [ids[i] for i in repeats]
    # Held first, decided after: a worker stores a decision and lets go of its hold in one
    # transaction, so a hold gone when read is a decision seen by the read after. Read the
    # other way round, a post decided between the two looked lost, and its repeat was
    # queued and judged again.
    held = services.store.held_posts(repeat_ids)
    decided = services.store.decided_ids(repeat_ids)
    for index in repeats:
        decision_id = ids[index]
        if decision_id in decided:
            continue
        found = held.get(decision_id)
        if found is None or (found.status == "pending" and found.due_at is not None and found.due_at <= received_at):
            fresh[index] = True


def _give_back(services: Services, decision_ids: list[str]) -> None:
    """Forget claimed identities so a retry is not taken for a repeat (best effort)."""
    try:
        services.work.release(decision_ids)
    except Exception:
        log.warning("posts.release_failed", extra={"count": len(decision_ids)})


class PostController(Controller):
    path = "/v1/posts"
    tags = ["posts"]  # noqa: RUF012
    guards = [requires("ingest")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @post(
        "/",
        responses=problem_responses(400, 401, 403, 413, 422, 503),
        status_code=202,
        sync_to_thread=True,
        operation_id="submitPost",
        summary="Submit one post for a decision",
        description="Answers 202 with the decision's id; a repeat of the same "
        "(community, platform, external_id, revision) answers with the same id.",
    )
    def create(self, data: JSONBody[Post], request: Request[ApiKey, str, State]) -> Accepted:
        return accept(request.app.state.services, request.user, [data])[0]

    @post(
        "/batch",
        responses=problem_responses(400, 401, 403, 413, 422, 503),
        status_code=202,
        sync_to_thread=True,
        operation_id="submitPosts",
        summary="Submit up to 100 posts at once",
    )
    def create_batch(self, data: JSONBody[PostBatch], request: Request[ApiKey, str, State]) -> BatchAccepted:
        return BatchAccepted(items=accept(request.app.state.services, request.user, data.posts))
