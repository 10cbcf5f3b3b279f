"""Calls from concurrent threads coalesced into fewer runs of the work behind them.

One run at a time: the calls that arrive while a run is in flight wait, and the next run
takes all of their items at once. A call that finds nothing in flight runs at once, so
nothing waits when calls do not overlap; under load the runs grow by themselves, as a
database's group commit does. (`tasks.GroupCommit` is the other kind: it holds a group open
for a window, to make tasks fewer even at rates where calls never overlap.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class _Round(Generic[T]):
    def __init__(self) -> None:
        self.items: list[T] = []
        self.finished = False
        self.error: BaseException | None = None


class Coalesced(Generic[T]):
    """`run(items)` for the items of every call that joined a round; each call returns once
    its round has run, or raises what the run raised (all of the round's callers do)."""

    def __init__(self, run: Callable[[list[T]], None]) -> None:
        self._run = run
        self._lock = threading.Condition()
        self._running = False
        self._open: _Round[T] | None = None

    def waiting(self) -> int:
        """How many items wait for the next run."""
        with self._lock:
            return len(self._open.items) if self._open is not None else 0

    def __call__(self, items: Sequence[T]) -> None:
        with self._lock:
            if self._open is None:
                self._open = _Round()
            joined = self._open
            joined.items.extend(items)
            while self._running and not joined.finished:
                self._lock.wait()
            lead = not joined.finished
            if lead:
                self._running = True
                self._open = None
        if lead:
            try:
                self._run(joined.items)
            except BaseException as exc:
                joined.error = exc
            finally:
                with self._lock:
                    joined.finished = True
                    self._running = False
                    self._lock.notify_all()
        if joined.error is not None:
            raise joined.error
