"""Where PRAW's recordings sit when the neighbouring ../shared folder is there (optional;
HAVEN_SHARED_DIR names another place, e.g. from a git worktree)."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("HAVEN_SHARED_DIR") or Path(__file__).resolve().parents[3].parent / "shared")
PRAW_RECORDINGS = SHARED / "fixtures" / "reddit"
