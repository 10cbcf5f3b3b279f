"""Where the default policy pack lives: the package `haven.pack`, which setup.py maps onto the
checkout's policies/ folder and installs as package data, so one lookup serves both."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def default_pack_dir() -> Path:
    spec = importlib.util.find_spec("haven.pack")
    if spec is None or spec.origin is None:
        raise ImportError("haven.pack, the default policy pack, is not installed: reinstall haven")
    return Path(spec.origin).parent
