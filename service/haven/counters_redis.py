"""The engine's `CounterStore` on Redis: one sorted set per (community, author).

Members are `category<US>post-key`, scored by time, so recording the same post
twice changes nothing and a window is one ZRANGEBYSCORE.

A worker evaluates posts in batches: `batch()` reads the sets of all the
batch's authors in one round trip, answers `count()` from memory (seeing what
earlier posts of the batch recorded), and writes the batch's records in one
pipeline at the end, three commands an author however many entries, instead of a
round trip per counter and per post. It reads
only as far back as the batch's rules look (`since`): an author's history is kept
for `keep_seconds` (HAVEN_COUNTER_WINDOW_SECONDS, 7 days by default), and the
default pack's longest window is 48 hours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from haven.state_redis import StatePipeline, StateRedis

_SEPARATOR = "\x1f"
log = logging.getLogger("haven.counters")


class _Batch:
    def __init__(self, entries: dict[str, dict[str, float]], oldest: float) -> None:
        self.entries = entries
        self.oldest = oldest  # what was read goes back to here (a POSIX time)
        self.writes: dict[str, dict[str, float]] = {}  # what to add, by key, when the batch ends


class RedisCounterStore:
    def __init__(self, client: StateRedis, *, keep_seconds: int, prefix: str = "haven:counter") -> None:
        self._redis = client
        self._prefix = prefix
        self._keep = keep_seconds
        self._local = threading.local()
        self._told_window_too_long = False

    def _key(self, community: str, author_id: str) -> str:
        return f"{self._prefix}:{len(community)}:{community}:{author_id}"

    @contextmanager
    def batch(self, authors: Iterable[tuple[str, str]], *, since: float | None = None) -> Iterator[None]:
        """Serve the given (community, author) pairs from one read; write once at the end.

        `since` (a POSIX time): the oldest moment a count in the batch asks about; the read
        goes no further back. A count asking further back still gets its answer, from Redis."""
        keys = sorted({self._key(community, author) for community, author in authors})
        oldest = time.time() - self._keep
        if since is not None:
            if since < oldest and not self._told_window_too_long:
                # A rule looks further back than the history is kept: it counts what is left.
                self._told_window_too_long = True
                log.warning(
                    "counters.window_longer_than_kept",
                    extra={"window_seconds": round(time.time() - since), "kept_seconds": self._keep},
                )
            oldest = max(oldest, since)
        read = StatePipeline(self._redis)
        for key in keys:
            read.add("zrangebyscore", key, oldest, "+inf", withscores=True)
        entries = {
            key: {raw.decode(): score for raw, score in found} for key, found in zip(keys, read.execute(), strict=True)
        }
        self._local.batch = _Batch(entries, oldest)
        try:
            yield
            self._write(self._local.batch.writes)
        finally:
            self._local.batch = None

    def _write(self, writes: dict[str, dict[str, float]]) -> None:
        """Each key's new entries in one command, and its trim and expiry once: three commands
        a key, however many of its author's posts the batch held."""
        if not writes:
            return
        pipe = StatePipeline(self._redis)
        for key, added in writes.items():
            pipe.add("zadd", key, added, nx=True)
            pipe.add("zremrangebyscore", key, "-inf", max(added.values()) - self._keep)
            pipe.add("expire", key, self._keep)
        pipe.execute()

    def _current(self) -> _Batch | None:
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch

    def count(
        self,
        community: str,
        author_id: str,
        category_prefix: str,
        since: datetime,
        *,
        exclude_member: str | None = None,
    ) -> int:
        key = self._key(community, author_id)
        batch = self._current()
        cutoff = since.timestamp()
        # An entry is "category<US>member": its category is the prefix or one under it exactly
        # when the entry starts with the prefix and the separator or a dot (a category is dotted
        # lower case, the loader checks). Looked at that way, only the entries under the prefix
        # are split, and a prolific author's other entries cost a C call each (bench/README.md,
        # "Counting an author's entries").
        under = (category_prefix + _SEPARATOR, category_prefix + ".")
        if batch is not None and key in batch.entries:
            known = batch.entries[key]  # what was read, and what the batch recorded since
            raws = [raw for raw, at in known.items() if at >= cutoff and raw.startswith(under)]
            if cutoff < batch.oldest:  # further back than the read: that part from Redis
                older: list[bytes] = self._redis.zrangebyscore(key, cutoff, batch.oldest)  # type: ignore[assignment]
                raws += [raw for raw in (r.decode() for r in older) if raw not in known and raw.startswith(under)]
        else:
            found: list[bytes] = self._redis.zrangebyscore(key, cutoff, "+inf")  # type: ignore[assignment]
            raws = [raw for raw in (r.decode() for r in found) if raw.startswith(under)]
        if exclude_member is None:
            return len(raws)
        return sum(1 for raw in raws if raw.partition(_SEPARATOR)[2] != exclude_member)

    def record(self, community: str, author_id: str, category: str, member: str, at: datetime) -> None:
        key = self._key(community, author_id)
        entry = f"{category}{_SEPARATOR}{member}"
        when = at.timestamp()
        batch = self._current()
        if batch is None:
            self._write({key: {entry: when}})
            return
        # As ZADD NX: an entry already there keeps its time.
        batch.entries.setdefault(key, {}).setdefault(entry, when)
        batch.writes.setdefault(key, {}).setdefault(entry, when)
