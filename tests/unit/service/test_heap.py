"""Freezing a process's start-up heap: the objects kept are out of the collector's passes, and
a policy set dropped later (a reload) is still freed, by reference counting alone."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from haven.heap import freeze_start_up_heap
from haven.policy import load_policy_set

POLICIES = Path(__file__).resolve().parents[3] / "policies"


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()  # the test process's own heap goes back to the collector


class Kept:
    pass


def test_what_start_up_built_is_out_of_every_generation_and_what_comes_later_is_not(
    unfrozen_after: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="haven.heap")
    kept = Kept()
    freeze_start_up_heap()
    later = Kept()
    tracked = {id(o) for o in gc.get_objects()}
    assert id(kept) not in tracked  # no full pass walks it again
    assert id(later) in tracked
    assert gc.get_freeze_count() > 0
    assert "process.heap_frozen" in caplog.text


def test_a_frozen_policy_set_is_freed_when_a_reload_drops_it(unfrozen_after: None) -> None:
    policy_set = load_policy_set(POLICIES)
    gone = weakref.ref(policy_set)
    freeze_start_up_heap()
    gc.disable()  # only reference counting may free it: frozen objects in a cycle never are
    try:
        del policy_set
        assert gone() is None
        assert gc.collect() == 0  # and nothing of it was left behind in a cycle
    finally:
        gc.enable()
