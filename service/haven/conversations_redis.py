"""The engine's `ConversationStore` on Redis.

Three kinds of key, all holding msgpack-encoded `Turn`s (ids, categories,
verdicts: never post text) and expiring with the window:

* one string per post, its latest turn: how a reply finds its parent, once per reply;
* one sorted set per thread, scored by time: read only for a post that a
  thread-reading matcher (`pile_on`, `thread`) judges, a few in a hundred;
* one sorted set per replying author, of their replies to posts that matched a
  rule (`is_indexed_reply`): read only by `author_replies`.

Every write trims each set to the window and to its bound. As with the counters,
a worker's batch reads the parents of all its replies in one command (MGET),
serves later posts of the batch what earlier ones recorded, and writes all its
turns with one Lua script call at the end: commands, not Redis's work, were most
of the cost (bench/conversations.py). The script names several keys, so on a
Redis Cluster they would need one hash slot; Haven runs on one Redis.
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

# Every turn a batch recorded, in one command. KEYS: one per entry: a post's string (bound 0),
# or a thread's or an author's sorted set. ARGV: the window in seconds, then per entry the
# encoded turn, its time and the bound. Ranks count from the lowest score: beyond the bound,
# the oldest go first.
_KEEP_TURNS = """
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local at = tonumber(ARGV[3 * i])
  local bound = tonumber(ARGV[3 * i + 1])
  if bound == 0 then
    redis.call('SET', key, ARGV[3 * i - 1], 'EX', window)
  else
    redis.call('ZADD', key, at, ARGV[3 * i - 1])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - window))
    redis.call('ZREMRANGEBYRANK', key, 0, -(bound + 1))
    redis.call('EXPIRE', key, window)
  end
end
return #KEYS
"""


@dataclass
class _Batch:
    # Turns of posts, by post key: the batch's parents as read, and what the batch recorded.
    posts: dict[str, Turn | None]
    # What the batch recorded, by sorted-set key, until the writes go out.
    pending: dict[str, list[Turn]] = field(default_factory=dict)
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
        self._keep_turns = client.register_script(_KEEP_TURNS)

    def _key(self, kind: str, community: str, platform: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{len(community)}:{community}:{len(platform)}:{platform}:{name}"

    def _read(self, key: str, pending: Iterable[Turn]) -> list[Turn]:
        found: list[bytes] = self._redis.zrangebyscore(key, time.time() - self._keep, "+inf")  # type: ignore[assignment]
        return latest_per_post([*(TURN_DECODER.decode(raw) for raw in found), *pending])

    @contextmanager
    def batch(self, parents: Iterable[tuple[str, str, str]]) -> Iterator[None]:
        """Read the turns of the given (community, platform, post) at once; write once at the end."""
        keys = sorted({self._key("post", *parent) for parent in parents})
        found = self._redis.mget(keys) if keys else []
        self._local.batch = _Batch(
            {key: TURN_DECODER.decode(raw) if raw else None for key, raw in zip(keys, found, strict=True)}  # type: ignore[arg-type]
        )
        try:
            yield
            self._write(self._local.batch.writes)
        finally:
            self._local.batch = None

    def _current(self) -> _Batch | None:
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch

    def turn(self, community: str, platform: str, thread: str, post: str) -> Turn | None:
        key = self._key("post", community, platform, post)
        batch = self._current()
        if batch is not None and key in batch.posts:
            return batch.posts[key]
        raw = self._redis.get(key)
        return TURN_DECODER.decode(raw) if isinstance(raw, bytes) else None

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        key = self._key("thread", community, platform, thread)
        batch = self._current()
        return self._read(key, batch.pending.get(key, []) if batch is not None else [])

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        key = self._key("author", community, platform, author)
        batch = self._current()
        return self._read(key, batch.pending.get(key, []) if batch is not None else [])

    def record(self, community: str, turn: Turn) -> None:
        post_key = self._key("post", community, turn.platform, turn.post)
        thread_key = self._key("thread", community, turn.platform, turn.thread)
        writes = [(post_key, turn, 0), (thread_key, turn, MAX_TURNS_PER_THREAD)]
        if is_indexed_reply(turn):
            writes.append((self._key("author", community, turn.platform, turn.author), turn, MAX_REPLIES_PER_AUTHOR))
        batch = self._current()
        if batch is None:
            self._write(writes)
            return
        batch.posts[post_key] = turn
        for key, _, bound in writes:
            if bound:
                batch.pending.setdefault(key, []).append(turn)
        batch.writes.extend(writes)

    def _write(self, writes: list[tuple[str, Turn, int]]) -> None:
        if not writes:
            return
        args: list[bytes | float | int] = [self._keep]
        for _, turn, bound in writes:
            args += [TURN_ENCODER.encode(turn), turn.at, bound]
        self._keep_turns(keys=[key for key, _, _ in writes], args=args)
