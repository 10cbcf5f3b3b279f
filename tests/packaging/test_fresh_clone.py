"""The repository carries everything its tests need: a clone of the committed HEAD, in a
folder with nothing beside it, bootstraps with the README's script and passes a fast
subset of the README's test command (the default pack's examples and the tests that once
needed ../shared)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.packaging.environments import fresh_venv

REPO = Path(__file__).resolve().parents[2]
SUBSET = [
    "tests/plugins/reddit/test_recordings.py",
    "tests/plugins/reddit/test_normalise_and_settings.py",
    "tests/plugins/reddit/test_polling.py::test_replay_fidelity",
]

pytestmark = pytest.mark.integration


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_clone_with_nothing_beside_it_bootstraps_and_passes(tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    clone = alone / "haven"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "PYTEST", "VIRTUAL_ENV"))}
    run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], tmp_path, env)
    assert sorted(p.name for p in alone.iterdir()) == ["haven"]  # no ../shared, nothing else
    fresh_venv(clone / ".venv", tmp_path / "dependencies")

    run(["scripts/bootstrap"], clone, env)
    run(["scripts/bootstrap"], clone, env)  # the second time a no-op (the stamp matches)
    haven = clone / ".venv" / "bin" / "haven"
    located = run(
        [
            str(clone / ".venv/bin/python"),
            "-c",
            "import haven, haven_reddit; print(haven.__file__, haven_reddit.__file__)",
        ],
        clone,
        env,
    )
    assert all(path.startswith(str(clone)) for path in located.split()), located
    run([str(haven), "policy", "test", "policies/"], clone, env)
    out = run([str(clone / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET], clone, env)
    assert " passed" in out and "skipped" not in out and "failed" not in out, out
