"""Calls that overlap a run in flight go together in the next one; a call alone runs at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from haven.coalesce import Coalesced


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_call_alone_runs_at_once_and_calls_during_a_run_go_together_in_the_next() -> None:
    runs: list[list[int]] = []
    first_running = threading.Event()
    release = threading.Event()

    def run(items: list[int]) -> None:
        runs.append(sorted(items))
        if len(runs) == 1:
            first_running.set()
            assert release.wait(10)

    coalesced = Coalesced(run)
    first = threading.Thread(target=coalesced, args=([0],))
    first.start()
    assert first_running.wait(10)
    later = [threading.Thread(target=coalesced, args=([n, n + 100],)) for n in range(1, 6)]
    for thread in later:
        thread.start()
    until(lambda: coalesced.waiting() == 10)  # all five wait behind the first run
    assert runs == [[0]]
    release.set()
    for thread in [first, *later]:
        thread.join(10)
        assert not thread.is_alive()
    assert runs == [[0], sorted([*range(1, 6), *range(101, 106)])]

    coalesced([7])  # nothing in flight: runs at once, alone
    assert runs[-1] == [7]


def test_every_caller_of_a_failed_run_gets_its_error_and_the_next_run_is_unaffected() -> None:
    release = threading.Event()
    started = threading.Event()
    calls = 0

    def run(items: list[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            assert release.wait(10)
            return
        if "bad" in items:
            raise ValueError("refused")

    coalesced = Coalesced(run)
    errors: list[str] = []

    def call(items: list[str]) -> None:
        try:
            coalesced(items)
        except ValueError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=call, args=(["ok"],))
    first.start()
    assert started.wait(10)
    joined = [threading.Thread(target=call, args=([item],)) for item in ("bad", "fine", "also")]
    for thread in joined:
        thread.start()
    until(lambda: coalesced.waiting() == 3)
    release.set()
    for thread in [first, *joined]:
        thread.join(10)
    assert errors == ["refused"] * 3
    coalesced(["after"])
    with pytest.raises(ValueError, match="refused"):
        coalesced(["bad"])
