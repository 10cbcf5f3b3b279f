"""How many of an author's posts matched a category lately: the engine's only I/O.

The engine reads counts and records enforced matches through `CounterStore`.
Entries are keyed by the post's identity (`member`), so a task that runs twice
records once, and a post never counts against itself.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from typing import Protocol


class CounterStore(Protocol):
    def count(
        self,
        community: str,
        author_id: str,
        category_prefix: str,
        since: datetime,
        *,
        exclude_member: str | None = None,
    ) -> int:
        """Entries for this author whose category equals or starts with `category_prefix.`."""
        ...

    def record(self, community: str, author_id: str, category: str, member: str, at: datetime) -> None:
        """Add one entry; recording the same (category, member) again changes nothing."""
        ...


def category_in(category: str, prefix: str) -> bool:
    return category == prefix or category.startswith(prefix + ".")


class _Window:
    """One author's entries under one category prefix, oldest first.

    A count is a binary search for the window's start, and expired entries are dropped from
    the front as new ones come, so neither grows with the author's whole history.
    """

    __slots__ = ("members", "order", "start", "times")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.order: list[str] = []
        self.start = 0
        self.members: dict[str, list[datetime]] = {}

    def add(self, member: str, at: datetime) -> None:
        if not self.times or at >= self.times[-1]:
            self.times.append(at)
            self.order.append(member)
        else:  # out of time order (a backtest file not sorted): keep the list sorted
            index = bisect.bisect_right(self.times, at, lo=self.start)
            self.times.insert(index, at)
            self.order.insert(index, member)
        self.members.setdefault(member, []).append(at)

    def prune(self, before: datetime) -> None:
        while self.start < len(self.times) and self.times[self.start] < before:
            member = self.order[self.start]
            ats = self.members[member]
            ats.remove(self.times[self.start])
            if not ats:
                del self.members[member]
            self.start += 1
        if self.start > 64 and self.start * 2 > len(self.times):
            del self.times[: self.start], self.order[: self.start]
            self.start = 0

    def count(self, since: datetime, exclude_member: str | None) -> int:
        total = len(self.times) - bisect.bisect_left(self.times, since, lo=self.start)
        if exclude_member is not None:
            total -= sum(1 for at in self.members.get(exclude_member, ()) if at >= since)
        return total


class InMemoryCounterStore:
    """The counter store of `haven policy test`, `haven backtest` and embedded runs.

    Entries older than `keep_seconds` before the newest one recorded for an author are
    dropped, as the Redis store drops them, so memory follows the window, not the history.
    """

    def __init__(self, keep_seconds: int = 90 * 86400) -> None:
        self._keep = timedelta(seconds=keep_seconds)
        # (community, author, category prefix) -> entries of every category under it
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._recorded: dict[tuple[str, str, str], set[str]] = {}  # (community, author, category) -> members

    def count(
        self,
        community: str,
        author_id: str,
        category_prefix: str,
        since: datetime,
        *,
        exclude_member: str | None = None,
    ) -> int:
        window = self._windows.get((community, author_id, category_prefix))
        return window.count(since, exclude_member) if window is not None else 0

    def record(self, community: str, author_id: str, category: str, member: str, at: datetime) -> None:
        recorded = self._recorded.setdefault((community, author_id, category), set())
        if member in recorded:
            return
        recorded.add(member)
        parts = category.split(".")
        for end in range(1, len(parts) + 1):
            window = self._windows.setdefault((community, author_id, ".".join(parts[:end])), _Window())
            window.add(member, at)
            window.prune(window.times[-1] - self._keep)
        full = self._windows[(community, author_id, category)]
        if len(recorded) > 2 * len(full.times) - 2 * full.start + 64:
            recorded.intersection_update(full.members)
