"""Loaded by every Python process started with this folder on PYTHONPATH (`bench/pipeline.py
--gc-log`): where HAVEN_BENCH_GC_LOG names a folder, each full pass of the cyclic garbage
collector (generation 2) is written to a file of the process's own, with how long it held
the interpreter. A benchmark aid only; Haven never loads it."""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

_FOLDER = os.environ.get("HAVEN_BENCH_GC_LOG")

if _FOLDER:
    _log = open(os.path.join(_FOLDER, f"{os.getpid()}.log"), "a", buffering=1)  # noqa: SIM115 - the process's life
    _log.write(" ".join(sys.argv[:4]) + "\n")
    _started = [0.0]

    def _timed(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            _started[0] = time.perf_counter()
        else:
            _log.write(f"{time.time():.3f} {(time.perf_counter() - _started[0]) * 1000:.2f}\n")

    gc.callbacks.append(_timed)
