"""The engine's `ConversationStore` on Redis: one sorted set per thread, one per replying author.

Members are msgpack-encoded `Turn`s (ids, categories, verdicts: never post text),
scored by the time they were judged. Every write trims what is older than the
window and beyond the per-key bound, and sets the key to expire with the
window, so an idle thread leaves nothing behind. An author's set holds only
their replies to posts that matched a rule (`is_indexed_reply`).

As with the counters, a worker's batch reads the threads of all its posts at
once, serves later posts of the batch from memory (seeing what earlier ones
recorded), and writes everything at the end. Both are one Lua script call each,
not a command per thread or per turn: the commands, not Redis's work, were most
of the cost (bench/conversations.py). The scripts name several keys, so on a
Redis Cluster the keys would need one hash slot; Haven runs on one Redis.
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
    is_indexed_reply,
    latest_per_post,
)

# Every turn a batch recorded, in one command. KEYS: a sorted set per entry (a thread's, or an
# author's for an indexed reply). ARGV: the window in seconds, then per entry the encoded turn,
# its time and the set's bound. Ranks count from the lowest score: beyond the bound, the oldest go.
_KEEP_TURNS = """
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local at = tonumber(ARGV[3 * i])
  redis.call('ZADD', key, at, ARGV[3 * i - 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - window))
  redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[3 * i + 1]) + 1))
  redis.call('EXPIRE', key, window)
end
return #KEYS
"""

# The turns of every thread of a batch, in one command. KEYS: the threads' sets. ARGV: the
# oldest time still in the window.
_READ_THREADS = """
local found = {}
for i, key in ipairs(KEYS) do
  found[i] = redis.call('ZRANGEBYSCORE', key, ARGV[1], '+inf')
end
return found
"""


@dataclass
class _Thread:
    """A thread read at the start of a batch: its turns by post."""

    turns: dict[str, Turn]


@dataclass
class _Batch:
    threads: dict[str, _Thread]
    # Replies recorded in this batch, by author key, until the writes go out.
    replies: dict[str, list[Turn]] = field(default_factory=dict)
    # (key, turn, bound) of every write, sent together at the end.
    writes: list[tuple[str, Turn, int]] = field(default_factory=list)


class RedisConversationStore:
    def __init__(
        self, client: redis.Redis, *, prefix: str = "haven:conversation", keep_seconds: int = DEFAULT_KEEP_SECONDS
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._keep = keep_seconds
        self._local = threading.local()
        # Scripts, so a batch's reads are one command and its writes another, not one per thread.
        self._keep_turns = client.register_script(_KEEP_TURNS)
        self._read_threads = client.register_script(_READ_THREADS)

    def _thread_key(self, community: str, platform: str, thread: str) -> str:
        return f"{self._prefix}:thread:{len(community)}:{community}:{len(platform)}:{platform}:{thread}"

    def _author_key(self, community: str, platform: str, author: str) -> str:
        return f"{self._prefix}:author:{len(community)}:{community}:{len(platform)}:{platform}:{author}"

    def _read(self, pipe: redis.client.Pipeline | redis.Redis, key: str) -> object:
        # Without scores: every turn carries its time.
        return pipe.zrangebyscore(key, time.time() - self._keep, "+inf")

    @staticmethod
    def _decode(found: object) -> list[Turn]:
        return [TURN_DECODER.decode(raw) for raw in found]  # type: ignore[attr-defined]

    @contextmanager
    def batch(self, threads: Iterable[tuple[str, str, str]]) -> Iterator[None]:
        """Serve the given (community, platform, thread) from one read; write once at the end."""
        keys = sorted({self._thread_key(*thread) for thread in threads})
        found = self._read_threads(keys=keys, args=[time.time() - self._keep]) if keys else []
        self._local.batch = _Batch(
            {key: _Thread({t.post: t for t in latest_per_post(self._decode(members))})
             for key, members in zip(keys, found, strict=True)}
        )  # fmt: skip
        try:
            yield
            self._write(self._local.batch.writes)
        finally:
            self._local.batch = None

    def _write(self, writes: list[tuple[str, Turn, int]]) -> None:
        if not writes:
            return
        args: list[bytes | float | int] = [self._keep]
        for _, turn, bound in writes:
            args += [TURN_ENCODER.encode(turn), turn.at, bound]
        self._keep_turns(keys=[key for key, _, _ in writes], args=args)

    def _current(self) -> _Batch | None:
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        key = self._thread_key(community, platform, thread)
        batch = self._current()
        if batch is not None and key in batch.threads:
            return list(batch.threads[key].turns.values())
        return latest_per_post(self._decode(self._read(self._redis, key)))

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        key = self._author_key(community, platform, author)
        batch = self._current()
        pending = batch.replies.get(key, []) if batch is not None else []
        return latest_per_post([*self._decode(self._read(self._redis, key)), *pending])

    def record(self, community: str, turn: Turn) -> None:
        batch = self._current()
        thread_key = self._thread_key(community, turn.platform, turn.thread)
        writes = [(thread_key, turn, MAX_TURNS_PER_THREAD)]
        if is_indexed_reply(turn):
            author_key = self._author_key(community, turn.platform, turn.author)
            writes.append((author_key, turn, MAX_REPLIES_PER_AUTHOR))
            if batch is not None:
                batch.replies.setdefault(author_key, []).append(turn)
        if batch is None:
            self._write(writes)
            return
        if thread_key in batch.threads:
            batch.threads[thread_key].turns[turn.post] = turn
        batch.writes.extend(writes)
