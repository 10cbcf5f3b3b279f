"""The engine's `ConversationStore` on Redis.

Two kinds of key, holding ids, categories and verdicts (never post text) and expiring with
the window:

* one hash per thread, its posts' latest turns by post id: a reply finds its parent with
  one HGET, and a post that a thread-reading matcher (`pile_on`, `thread`) judges, a few in
  a hundred, reads the whole thread (HGETALL). A field's value leaves out what its key and
  field name already say (platform, thread, post);
* one sorted set per replying author, of their replies to posts that matched a rule
  (`is_indexed_reply`), whole turns scored by time: read only by `author_replies`.

Readers skip turns older than the window; a write that takes a thread or an author past its
bound trims it to the window and to the bound, oldest first. As with the counters, a
worker's batch reads the parents of all its replies in one round trip, serves later posts of
the batch what earlier ones recorded, and writes all its turns with one Lua script call at
the end: commands and their arguments, not Redis's work, were most of the cost
(bench/conversations.py). The script is handed its keys inside one packed argument, which
one Redis allows and a Redis Cluster does not: on a cluster (HAVEN_STATE_REDIS_CLUSTER) the
turns are written as plain commands, each naming its key, pipelined by node. Readers see the
same either way.

Until 2026-12 a thread's turns were kept twice, in a sorted set per thread and as a string
per post, which took 2-3 times the memory of one hash (bench/conversation_memory.py). Keys
of that layout are still read, beside the hashes, until the last of them has expired: one
window after this layout first wrote (`LAYOUT_SINCE`, a key of its own).
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import msgspec
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


class _Entry(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A turn as its thread's hash keeps it: the platform and thread are in the key, the post
    is the field. `at` is third: the script below reads it to trim."""

    revision: str
    author: str
    at: float
    verdict: str
    categories: tuple[str, ...]
    parent: str | None
    parent_author: str | None
    parent_verdict: str | None
    parent_categories: tuple[str, ...]


_ENTRY_ENCODER = msgspec.msgpack.Encoder()
_ENTRY_DECODER = msgspec.msgpack.Decoder(_Entry)


def _entry(turn: Turn) -> bytes:
    entry = _Entry(
        turn.revision, turn.author, turn.at, turn.verdict, turn.categories,
        turn.parent, turn.parent_author, turn.parent_verdict, turn.parent_categories,
    )  # fmt: skip
    return _ENTRY_ENCODER.encode(entry)


def thread_turn(raw: bytes, platform: str, thread: str, post: str) -> Turn:
    """The turn a thread's hash keeps under `post`."""
    e = _ENTRY_DECODER.decode(raw)
    return Turn(
        post=post, revision=e.revision, platform=platform, thread=thread, author=e.author, at=e.at,
        verdict=e.verdict, categories=e.categories, parent=e.parent, parent_author=e.parent_author,
        parent_verdict=e.parent_verdict, parent_categories=e.parent_categories,
    )  # fmt: skip


# Past its bound, a thread's hash keeps the newest `bound` turns and none older than the
# window before the turn just written: the turns' times are read from their values, which
# only threads of hundreds of posts ever pay.
_TRIM_THREAD = """
local function trim_thread(key, bound, oldest)
  if redis.call('HLEN', key) <= bound then return end
  local all = redis.call('HGETALL', key)
  local turns = {}
  for i = 1, #all, 2 do
    turns[#turns + 1] = {cmsgpack.unpack(all[i + 1])[3], all[i]}
  end
  table.sort(turns, function(a, b) return a[1] < b[1] end)
  for i, turn in ipairs(turns) do
    if i <= #turns - bound or turn[1] < oldest then redis.call('HDEL', key, turn[2]) end
  end
end
"""

# Every turn a batch recorded, in one command. ARGV[1]: the window in seconds; ARGV[2]: per
# turn, a header (its time as a double, then the lengths of its thread entry, its thread's
# key, its post's id, its whole encoded turn and its author's key, both 0 unless the turn is
# an indexed reply) and those five, back to back. One argument, not five a turn: encoding
# arguments one by one was most of the writes' cost. An author's set is trimmed only past
# its bound (ranks count from the lowest score, so the oldest go first).
_KEEP_TURNS = f"""
{_TRIM_THREAD}
local window = tonumber(ARGV[1])
local blob = ARGV[2]
local pos = 1
while pos <= #blob do
  local at, le, lk, lp, lt, la, start = struct.unpack('>dHHHHH', blob, pos)
  local entry = string.sub(blob, start, start + le - 1)
  local thread = string.sub(blob, start + le, start + le + lk - 1)
  local post = string.sub(blob, start + le + lk, start + le + lk + lp - 1)
  redis.call('HSET', thread, post, entry)
  trim_thread(thread, {MAX_TURNS_PER_THREAD}, at - window)
  redis.call('EXPIRE', thread, window)
  if la > 0 then
    local from = start + le + lk + lp
    local turn = string.sub(blob, from, from + lt - 1)
    local author = string.sub(blob, from + lt, from + lt + la - 1)
    local score = string.format('%.6f', at)
    redis.call('ZADD', author, score, turn)
    if redis.call('ZCARD', author) > {MAX_REPLIES_PER_AUTHOR} then
      redis.call('ZREMRANGEBYSCORE', author, '-inf', '(' .. (at - window))
      redis.call('ZREMRANGEBYRANK', author, 0, -({MAX_REPLIES_PER_AUTHOR} + 1))
    end
    redis.call('EXPIRE', author, window)
  end
  pos = start + le + lk + lp + lt + la
end
return 0
"""
_HEADER = struct.Struct(">dHHHHH")

# One trim of a thread's hash, on a cluster, where the write script cannot run.
_TRIM_ONE = f"""
{_TRIM_THREAD}
trim_thread(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
return 0
"""

# A parent to read: (community, platform, thread, post).
Parent = tuple[str, str, str, str]
# A turn to write: the turn, its thread's key, its author's key (or None).
_Write = tuple[Turn, str, str | None]


@dataclass
class _Batch:
    # The batch's parents as read, and every turn it recorded: by (thread key, post id).
    posts: dict[tuple[str, str], Turn | None]
    # What the batch recorded, by thread or author key, until the writes go out.
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
        cluster = isinstance(client, RedisCluster)
        self._keep_turns = None if cluster else client.register_script(_KEEP_TURNS)
        self._trim_one = client.register_script(_TRIM_ONE) if cluster else None
        self._legacy_until: float | None = None

    def _key(self, kind: str, community: str, platform: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{len(community)}:{community}:{len(platform)}:{platform}:{name}"

    # --- the layout before 2026-12, read until its keys have expired --------------------

    def _reads_legacy(self) -> bool:
        """Whether keys of the old layout may still be alive: for one window after this layout
        first wrote, which the first process to ask records for every later one."""
        if self._legacy_until is None:
            marker = f"{self._prefix}:layout-since"
            self._redis.set(marker, repr(time.time()), nx=True)
            since = self._redis.get(marker)
            self._legacy_until = float(since) + self._keep if isinstance(since, bytes) else 0.0
        return time.time() < self._legacy_until

    def _legacy_turns(self, parents: list[Parent]) -> list[Turn | None]:
        pipe = StatePipeline(self._redis)
        for community, platform, _, post in parents:
            pipe.add("get", self._key("post", community, platform, post))
        return [TURN_DECODER.decode(raw) if isinstance(raw, bytes) else None for raw in pipe.execute()]

    def _legacy_thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        if not self._reads_legacy():
            return []
        key = self._key("thread", community, platform, thread)
        found: list[bytes] = self._redis.zrangebyscore(key, time.time() - self._keep, "+inf")  # type: ignore[assignment]
        return [TURN_DECODER.decode(raw) for raw in found]

    # --- reading ----------------------------------------------------------------------

    def _parents(self, parents: list[Parent]) -> list[Turn | None]:
        pipe = StatePipeline(self._redis)
        for community, platform, thread, post in parents:
            pipe.add("hget", self._key("turns", community, platform, thread), post)
        found = [
            thread_turn(raw, platform, thread, post) if raw else None
            for (_, platform, thread, post), raw in zip(parents, pipe.execute(), strict=True)
        ]
        if self._reads_legacy() and None in found:
            missing = [i for i, turn in enumerate(found) if turn is None]
            for i, turn in zip(missing, self._legacy_turns([parents[i] for i in missing]), strict=True):
                found[i] = turn
        return found

    @contextmanager
    def batch(self, parents: Iterable[Parent]) -> Iterator[None]:
        """Read the turns of the given (community, platform, thread, post) at once; write once at the end."""
        wanted = sorted(set(parents))
        found = self._parents(wanted) if wanted else []
        self._local.batch = _Batch(
            {
                (self._key("turns", community, platform, thread), post): turn
                for (community, platform, thread, post), turn in zip(wanted, found, strict=True)
            }
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
        batch = self._current()
        if batch is not None:
            key = (self._key("turns", community, platform, thread), post)
            if key in batch.posts:
                return batch.posts[key]
        return self._parents([(community, platform, thread, post)])[0]

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        key = self._key("turns", community, platform, thread)
        batch = self._current()
        found: dict[bytes, bytes] = self._redis.hgetall(key)  # type: ignore[assignment]
        since = time.time() - self._keep
        kept = [thread_turn(raw, platform, thread, post.decode()) for post, raw in found.items()]
        return latest_per_post(
            [
                *self._legacy_thread(community, platform, thread),
                *(t for t in kept if t.at >= since),
                *(batch.pending.get(key, []) if batch is not None else []),
            ]
        )

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        key = self._key("author", community, platform, author)
        batch = self._current()
        found: list[bytes] = self._redis.zrangebyscore(key, time.time() - self._keep, "+inf")  # type: ignore[assignment]
        pending = batch.pending.get(key, []) if batch is not None else []
        return latest_per_post([*(TURN_DECODER.decode(raw) for raw in found), *pending])

    # --- writing ----------------------------------------------------------------------

    def record(self, community: str, turn: Turn) -> None:
        thread_key = self._key("turns", community, turn.platform, turn.thread)
        author_key = self._key("author", community, turn.platform, turn.author) if is_indexed_reply(turn) else None
        write = (turn, thread_key, author_key)
        batch = self._current()
        if batch is None:
            self._write([write])
            return
        batch.posts[(thread_key, turn.post)] = turn
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
        self._write_by_command(writes)

    def _write_by_command(self, writes: list[_Write]) -> None:
        """The script's work as commands that each name one key, each key written once a batch
        (a cluster's work is per command: bench/state_cluster.py). An author's set is trimmed
        to the window every time, where the script waits for its bound; readers, who skip
        older turns anyway, cannot tell the two apart."""
        pipe = StatePipeline(self._redis)
        threads: dict[str, dict[str, bytes]] = {}
        newest: dict[str, float] = {}
        authors: dict[str, dict[bytes, float]] = {}
        for turn, thread_key, author_key in writes:
            threads.setdefault(thread_key, {})[turn.post] = _entry(turn)
            newest[thread_key] = max(newest.get(thread_key, turn.at), turn.at)
            if author_key is not None:
                authors.setdefault(author_key, {})[TURN_ENCODER.encode(turn)] = turn.at
        for key, entries in threads.items():
            pipe.add("hset", key, mapping=entries)
            pipe.add("expire", key, self._keep)
            pipe.add("hlen", key)
        for key, turns in authors.items():
            pipe.add("zadd", key, turns)
            pipe.add("zremrangebyscore", key, "-inf", f"({max(turns.values()) - self._keep}")
            pipe.add("zremrangebyrank", key, 0, -(MAX_REPLIES_PER_AUTHOR + 1))
            pipe.add("expire", key, self._keep)
        sizes = pipe.execute()[2 : 3 * len(threads) : 3]
        assert self._trim_one is not None
        for key, size in zip(threads, sizes, strict=True):
            if size > MAX_TURNS_PER_THREAD:  # a thread of hundreds of posts: rare
                self._trim_one(keys=[key], args=[MAX_TURNS_PER_THREAD, newest[key] - self._keep])


def _packed(turn: Turn, thread_key: str, author_key: str | None) -> bytes:
    indexed = author_key is not None
    parts = [
        _entry(turn),
        thread_key.encode(),
        turn.post.encode(),
        TURN_ENCODER.encode(turn) if indexed else b"",
        (author_key or "").encode(),
    ]
    return _HEADER.pack(turn.at, *(len(part) for part in parts)) + b"".join(parts)
