"""The engine's `ConversationStore` on Redis.

Three kinds of key, all holding msgpack-encoded `Turn`s (ids, categories,
verdicts: never post text) and expiring with the window:

* one string per post, its latest turn: how a reply finds its parent, once per reply;
* one sorted set per thread, scored by time: read only for a post that a
  thread-reading matcher (`pile_on`, `thread`) judges, a few in a hundred;
* one sorted set per replying author, of their replies to posts that matched a
  rule (`is_indexed_reply`): read only by `author_replies`.

Readers skip turns older than the window; a write that takes a set past its
bound trims it to the window and to the bound. As with the counters,
a worker's batch reads the parents of all its replies in one command (MGET),
serves later posts of the batch what earlier ones recorded, and writes all its
turns with one Lua script call at the end: commands and their arguments, not
Redis's work, were most of the cost (bench/conversations.py). The script is
handed its keys inside one packed argument, which one Redis allows and a Redis
Cluster does not: on a cluster (HAVEN_STATE_REDIS_CLUSTER) the parents are read
with an MGET a slot and the turns written as plain commands, each naming its key,
both pipelined by node. Readers see the same either way.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis.cluster import RedisCluster

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
from haven.state_redis import StatePipeline, StateRedis

# Every turn a batch recorded, in one command. ARGV[1]: the window in seconds; ARGV[2]: per
# turn, a header (its time as a double, then the lengths of the encoded turn, its post's key,
# its thread's key and its author's key, 0 for none) and those five, back to back. One argument,
# not five a turn: encoding arguments one by one was most of the writes' cost. Readers skip
# turns older than the window; a set is trimmed only past its bound (ranks count from the
# lowest score, so the oldest go first). Everything expires with the window.
_KEEP_TURNS = f"""
local window = tonumber(ARGV[1])
local blob = ARGV[2]
local function keep(key, at, turn, bound)
  redis.call('ZADD', key, at, turn)
  if redis.call('ZCARD', key) > bound then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - window))
    redis.call('ZREMRANGEBYRANK', key, 0, -(bound + 1))
  end
  redis.call('EXPIRE', key, window)
end
local pos = 1
while pos <= #blob do
  local at, lt, lp, lk, la, start = struct.unpack('>dHHHH', blob, pos)
  local turn = string.sub(blob, start, start + lt - 1)
  local post = string.sub(blob, start + lt, start + lt + lp - 1)
  local thread = string.sub(blob, start + lt + lp, start + lt + lp + lk - 1)
  redis.call('SET', post, turn, 'EX', window)
  keep(thread, string.format('%.6f', at), turn, {MAX_TURNS_PER_THREAD})
  if la > 0 then
    local author = string.sub(blob, start + lt + lp + lk, start + lt + lp + lk + la - 1)
    keep(author, string.format('%.6f', at), turn, {MAX_REPLIES_PER_AUTHOR})
  end
  pos = start + lt + lp + lk + la
end
return 0
"""
_HEADER = struct.Struct(">dHHHH")


def _packed(turn: Turn, post_key: str, thread_key: str, author_key: str | None) -> bytes:
    parts = [TURN_ENCODER.encode(turn), post_key.encode(), thread_key.encode(), (author_key or "").encode()]
    return _HEADER.pack(turn.at, *(len(part) for part in parts)) + b"".join(parts)


# A turn to write: the turn, its post's key, its thread's key and its author's key (or None).
_Write = tuple[Turn, str, str, str | None]


@dataclass
class _Batch:
    # Turns of posts, by post key: the batch's parents as read, and what the batch recorded.
    posts: dict[str, Turn | None]
    # What the batch recorded, by sorted-set key, until the writes go out.
    pending: dict[str, list[Turn]] = field(default_factory=dict)
    # Every turn recorded, written when the batch ends.
    writes: list[_Write] = field(default_factory=list)


class RedisConversationStore:
    def __init__(
        self, client: StateRedis, *, prefix: str = "haven:conversation", keep_seconds: int = DEFAULT_KEEP_SECONDS
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._keep = keep_seconds
        self._local = threading.local()
        self._keep_turns = None if isinstance(client, RedisCluster) else client.register_script(_KEEP_TURNS)

    def _key(self, kind: str, community: str, platform: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{len(community)}:{community}:{len(platform)}:{platform}:{name}"

    def _read(self, key: str, pending: Iterable[Turn]) -> list[Turn]:
        found: list[bytes] = self._redis.zrangebyscore(key, time.time() - self._keep, "+inf")  # type: ignore[assignment]
        return latest_per_post([*(TURN_DECODER.decode(raw) for raw in found), *pending])

    @contextmanager
    def batch(self, parents: Iterable[tuple[str, str, str]]) -> Iterator[None]:
        """Read the turns of the given (community, platform, post) at once; write once at the end."""
        keys = sorted({self._key("post", *parent) for parent in parents})
        if not keys:
            found = []
        elif isinstance(self._redis, RedisCluster):  # keys of many slots: an MGET a slot, pipelined
            found = self._redis.mget_nonatomic(keys)
        else:
            found = self._redis.mget(keys)
        self._local.batch = _Batch(
            {key: TURN_DECODER.decode(raw) if raw else None for key, raw in zip(keys, found, strict=True)}
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
        author_key = self._key("author", community, turn.platform, turn.author) if is_indexed_reply(turn) else None
        write = (turn, post_key, thread_key, author_key)
        batch = self._current()
        if batch is None:
            self._write([write])
            return
        batch.posts[post_key] = turn
        for key in (thread_key, author_key):
            if key is not None:
                batch.pending.setdefault(key, []).append(turn)
        batch.writes.append(write)

    def _write(self, writes: list[_Write]) -> None:
        if not writes:
            return
        if self._keep_turns is not None:
            # The script writes keys it is not given in KEYS (they travel packed in one
            # argument): fine on one Redis; a Redis Cluster refuses it.
            self._keep_turns(args=[self._keep, b"".join(_packed(*write) for write in writes)])
            return
        # The script's work as commands that each name one key, a sorted set's written once a
        # batch (a cluster's work is per command: bench/state_cluster.py). The script
        # trims a set to the window only once the set is past its bound; here the window's
        # trim runs every time, which readers, who skip older turns anyway, cannot tell apart.
        pipe = StatePipeline(self._redis)
        sets: dict[str, tuple[int, dict[bytes, float]]] = {}
        for turn, post_key, thread_key, author_key in writes:
            encoded = TURN_ENCODER.encode(turn)
            pipe.add("set", post_key, encoded, ex=self._keep)
            for key, bound in ((thread_key, MAX_TURNS_PER_THREAD), (author_key, MAX_REPLIES_PER_AUTHOR)):
                if key is not None:
                    sets.setdefault(key, (bound, {}))[1][encoded] = turn.at
        for key, (bound, turns) in sets.items():
            pipe.add("zadd", key, turns)
            pipe.add("zremrangebyscore", key, "-inf", f"({max(turns.values()) - self._keep}")
            pipe.add("zremrangebyrank", key, 0, -(bound + 1))
            pipe.add("expire", key, self._keep)
        pipe.execute()
