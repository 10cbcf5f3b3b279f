"""A hot reload that fails is logged and counted, and the last good set keeps serving."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from haven.pipeline import LivePolicies
from prometheus_client import REGISTRY

from tests.unit.service.conftest import TEST_POLICIES


def failures() -> float:
    return REGISTRY.get_sample_value("haven_policy_reload_failures_total") or 0.0


def test_an_alias_bomb_dropped_into_a_live_folder_leaves_the_last_good_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(TEST_POLICIES, folder)
    live = LivePolicies(folder, reload_seconds=0)
    good = live.current().version
    before = failures()
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (folder / "bomb.yaml").write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    assert live.current().version == good
    assert time.monotonic() - started < 10
    assert failures() == before + 1
    [record] = [r for r in caplog.records if r.getMessage() == "policy.reload_failed"]
    assert "aliases expand to more than" in record.first_error  # type: ignore[attr-defined]
