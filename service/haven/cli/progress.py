"""A one-line progress bar for long runs, drawn only when a person is watching a terminal."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24
REDRAW_SECONDS = 0.2


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hour, minute = divmod(minutes, 60)
    return f"{hour}:{minute:02d}:{second:02d}" if hour else f"{minute}:{second:02d}"


class Progress:
    """Posts done, their rate and the time left, redrawn at most five times a second.

    `total` is the input's size in bytes (None when unknown, e.g. standard input); `update`
    gets the bytes read so far. Draws nothing unless `out` is a terminal, so piped or
    redirected output stays clean.
    """

    def __init__(self, out: TextIO, total: int | None) -> None:
        self._out = out
        self._total = total or None
        self._on = out.isatty()
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, items: int, done_bytes: int) -> None:
        if not self._on:
            return
        now = time.monotonic()
        if now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        self._out.write("\r" + self.line(items, done_bytes, now - self._started) + "\x1b[K")
        self._out.flush()

    def line(self, items: int, done_bytes: int, elapsed: float) -> str:
        rate = items / elapsed if elapsed > 0 else 0.0
        text = f"{items:,} posts  {rate:,.0f}/s"
        if self._total:
            share = min(done_bytes / self._total, 1.0)
            filled = int(share * WIDTH)
            left = elapsed * (1 - share) / share if share > 0 else 0.0
            text = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}  {text}  {_clock(left)} left"
        return text

    def close(self) -> None:
        if self._on:
            self._out.write("\r\x1b[K")
            self._out.flush()
