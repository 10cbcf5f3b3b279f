"""The scan's hot loops in compiled code (`haven.policy._scan_core`, a Cython extension),
where it was built when Haven was installed.

Each compiled function has a Python twin beside its caller, and the tests hold both to the
same answers, so an install without a C compiler judges exactly alike, only slower. The
choice is made once, when Haven is imported: `HAVEN_COMPILED=0` in the environment takes
the Python twins even where the extension is built (to compare the two, or to rule the
extension out).
"""

from __future__ import annotations

import os
from types import ModuleType

# The extension where it is built, and the same unless HAVEN_COMPILED=0 turns it off.
built: ModuleType | None
try:
    from haven.policy import _scan_core as built
except ImportError:  # built without a C compiler, or without Cython
    built = None
core = None if os.environ.get("HAVEN_COMPILED", "1") == "0" else built
