"""How many of an author's posts matched a category lately: the engine's only I/O.

The engine reads counts and records enforced matches through `CounterStore`.
Entries are keyed by the post's identity (`member`), so a task that runs twice
records once, and a post never counts against itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
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


class InMemoryCounterStore:
    """The counter store of `haven policy test`, `haven backtest` and embedded runs."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[tuple[str, str], datetime]] = defaultdict(dict)

    def count(
        self,
        community: str,
        author_id: str,
        category_prefix: str,
        since: datetime,
        *,
        exclude_member: str | None = None,
    ) -> int:
        entries = self._entries.get((community, author_id), {})
        return sum(
            1
            for (category, member), at in entries.items()
            if at >= since and member != exclude_member and category_in(category, category_prefix)
        )

    def record(self, community: str, author_id: str, category: str, member: str, at: datetime) -> None:
        self._entries[(community, author_id)].setdefault((category, member), at)
