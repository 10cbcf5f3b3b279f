"""The chart tools' own virtualenv: found or built on first use, then reused.

helm-sdkpy needs Python 3.12 or later and the project runs on 3.11, so the chart tests
drive a second interpreter: `.venv/chart-tools`, built from the first Python 3.12+ found
(HAVEN_CHART_PYTHON, python3.12/3.13/3.14 on PATH, then pyenv's versions) with the
pinned packages of requirements.txt. A stamp records what was installed; a file lock
keeps pytest-xdist's workers from building it twice.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REQUIREMENTS = HERE / "requirements.txt"
VENV = REPO / ".venv" / "chart-tools"


class NoPython312(RuntimeError):
    """No Python 3.12 or later exists on this machine."""


def _is_312(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def candidates() -> Iterator[str]:
    if os.environ.get("HAVEN_CHART_PYTHON"):
        yield os.environ["HAVEN_CHART_PYTHON"]
    # The oldest that qualifies first: its wheels are the most widely published.
    for name in ("python3.12", "python3.13", "python3.14", "python3"):
        found = shutil.which(name)
        if found:
            yield found
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv"), "/root/.pyenv"]
    for root in filter(None, roots):
        yield from sorted(glob.glob(f"{root}/versions/3.1[2-9]*/bin/python3"))
    yield from sorted(glob.glob("/usr/bin/python3.1[2-9]"))
    yield from sorted(glob.glob("/usr/local/bin/python3.1[2-9]"))


def find_python() -> str:
    for python in candidates():
        if _is_312(python):
            return python
    raise NoPython312(
        "the chart tests need Python 3.12 or later for helm-sdkpy (Helm's library); none found "
        "on PATH or under pyenv; set HAVEN_CHART_PYTHON to one"
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure() -> Path:
    """The chart tools' interpreter, built when missing or out of date."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    with _locked(VENV.parent / "chart-tools.lock"):
        want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
        if python.exists() and stamp.exists() and stamp.read_text() == want:
            return python
        if VENV.exists():
            shutil.rmtree(VENV)
        subprocess.run([find_python(), "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            check=True,
        )
        stamp.write_text(want)
    return python


if __name__ == "__main__":
    print(ensure())
    sys.exit(0)
