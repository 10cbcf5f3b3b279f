"""The engine's `ConversationStore` on Redis: one sorted set per thread, one per replying author.

Members are msgpack-encoded `Turn`s (ids, categories, verdicts: never post text),
scored by the time they were judged. Every write trims what is older than the
window and beyond the per-key bound, and sets the key to expire with the
window, so an idle thread leaves nothing behind.

As with the counters, a worker's batch reads the threads of all its posts in one
round trip, serves later posts of the batch from memory (seeing what earlier ones
recorded), and writes everything in one pipeline at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis

from haven.policy.conversations import (
    DEFAULT_KEEP_SECONDS,
    MAX_REPLIES_PER_AUTHOR,
    MAX_TURNS_PER_THREAD,
    TURN_DECODER,
    TURN_ENCODER,
    Turn,
    latest_per_post,
)


@dataclass
class _Batch:
    threads: dict[str, list[Turn]]
    writes: redis.client.Pipeline
    # Replies recorded in this batch, by author key, until the writes go out.
    replies: dict[str, list[Turn]] = field(default_factory=dict)


class RedisConversationStore:
    def __init__(
        self, client: redis.Redis, *, prefix: str = "haven:conversation", keep_seconds: int = DEFAULT_KEEP_SECONDS
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._keep = keep_seconds
        self._local = threading.local()

    def _thread_key(self, community: str, platform: str, thread: str) -> str:
        return f"{self._prefix}:thread:{len(community)}:{community}:{len(platform)}:{platform}:{thread}"

    def _author_key(self, community: str, platform: str, author: str) -> str:
        return f"{self._prefix}:author:{len(community)}:{community}:{len(platform)}:{platform}:{author}"

    def _read(self, pipe: redis.client.Pipeline | redis.Redis, key: str) -> object:
        return pipe.zrangebyscore(key, time.time() - self._keep, "+inf")

    @staticmethod
    def _turns(raws: object) -> list[Turn]:
        return [TURN_DECODER.decode(raw) for raw in raws]  # type: ignore[attr-defined]

    @contextmanager
    def batch(self, threads: Iterable[tuple[str, str, str]]) -> Iterator[None]:
        """Serve the given (community, platform, thread) from one read; write once at the end."""
        keys = sorted({self._thread_key(*thread) for thread in threads})
        read = self._redis.pipeline(transaction=False)
        for key in keys:
            self._read(read, key)
        found = {key: self._turns(raws) for key, raws in zip(keys, read.execute(), strict=True)}
        self._local.batch = _Batch(found, self._redis.pipeline(transaction=False))
        try:
            yield
            self._local.batch.writes.execute()
        finally:
            self._local.batch = None

    def _current(self) -> _Batch | None:
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        key = self._thread_key(community, platform, thread)
        batch = self._current()
        if batch is not None and key in batch.threads:
            return latest_per_post(batch.threads[key])
        return latest_per_post(self._turns(self._read(self._redis, key)))

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        key = self._author_key(community, platform, author)
        batch = self._current()
        pending = batch.replies.get(key, []) if batch is not None else []
        return latest_per_post([*self._turns(self._read(self._redis, key)), *pending])

    def record(self, community: str, turn: Turn) -> None:
        batch = self._current()
        pipe = batch.writes if batch is not None else self._redis.pipeline(transaction=False)
        thread_key = self._thread_key(community, turn.platform, turn.thread)
        self._write(pipe, thread_key, turn, MAX_TURNS_PER_THREAD)
        if batch is not None:
            batch.threads.setdefault(thread_key, []).append(turn)
        if turn.parent is not None:
            author_key = self._author_key(community, turn.platform, turn.author)
            self._write(pipe, author_key, turn, MAX_REPLIES_PER_AUTHOR)
            if batch is not None:
                batch.replies.setdefault(author_key, []).append(turn)
        if batch is None:
            pipe.execute()

    def _write(self, pipe: redis.client.Pipeline, key: str, turn: Turn, most: int) -> None:
        pipe.zadd(key, {TURN_ENCODER.encode(turn): turn.at})
        pipe.zremrangebyscore(key, "-inf", turn.at - self._keep)
        # Beyond the bound, the oldest turns go first (ranks count from the lowest score).
        pipe.zremrangebyrank(key, 0, -(most + 1))
        pipe.expire(key, self._keep)
