"""Fresh virtual environments for the packaging checks, outside the checkout.

Installing Haven's ~60 third-party dependencies from PyPI takes minutes on this
machine (and pip keeps no cache here), so a fresh environment sees the ones this
checkout's .venv already holds through a .pth file: linked, never copied, and
without any of Haven's own distributions, editable finders or setuptools (pip comes
linked too: creating a venv with its own pip takes ten seconds here).
Haven itself goes in the way the check under test says (a wheel, scripts/bootstrap).
`HAVEN_TEST_FULL_INSTALL=1` skips the link, so the environment installs everything
from the index as a new operator's would (slow; not what the suite runs by default).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

# What a fresh environment must not inherit: Haven's own distributions and the installer.
OWN = ("haven", "__editable__", "setuptools", "_distutils_hack", "distutils-precedence", "__pycache__")


def full_install() -> bool:
    return os.environ.get("HAVEN_TEST_FULL_INSTALL") == "1"


def third_party(folder: Path) -> Path:
    """A folder of links to this environment's third-party packages (not Haven's own)."""
    folder.mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.lower().startswith(OWN) or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def fresh_venv(venv: Path, links: Path) -> Path:
    """A new virtual environment at `venv`; returns its python."""
    base = getattr(sys, "_base_executable", sys.executable)
    own_pip = [] if full_install() else ["--without-pip"]
    subprocess.run([base, "-m", "venv", *own_pip, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    if not full_install():
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (Path(purelib) / "haven-test-dependencies.pth").write_text(f"{third_party(links)}\n")
    return python
