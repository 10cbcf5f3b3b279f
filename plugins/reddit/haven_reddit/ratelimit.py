"""Reddit's rate limit, from the X-Ratelimit-* headers of every response.

Reddit allows a number of requests per window (10 minutes in practice) and
says how many are left (`X-Ratelimit-Remaining`, a float string) and how many
seconds remain in the window (`X-Ratelimit-Reset`). Like prawcore, we sleep
until the window resets when nothing is left, and otherwise spread what is
left over the rest of the window (never more than `max_spacing` seconds
between requests). A 429 pauses everything until the reset it announces.

The clock and the sleep function are injected, so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


class RateLimited(Exception):
    """Waiting for Reddit's window would take longer than the caller allows."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"rate limited for {wait_seconds:.0f}s")
        self.wait_seconds = wait_seconds


def _float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class RateLimiter:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        max_spacing: float = 10.0,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_spacing = max_spacing
        self.next_at: float = 0.0

    def delay(self) -> float:
        """Seconds to wait before the next request may go out."""
        return max(0.0, self.next_at - self.clock())

    def wait(self, max_wait: float | None = None) -> None:
        delay = self.delay()
        if delay <= 0:
            return
        if max_wait is not None and delay > max_wait:
            raise RateLimited(delay)
        self.sleep(delay)

    def update(self, headers: Mapping[str, str]) -> None:
        remaining = _float(headers, "x-ratelimit-remaining")
        reset = _float(headers, "x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        now = self.clock()
        if remaining <= 0:
            self.next_at = now + reset
        else:
            # Spread what is left over the rest of the window.
            self.next_at = now + min(self.max_spacing, max(0.0, reset / remaining - 1.0))

    def pause(self, headers: Mapping[str, str], default: float = 60.0) -> float:
        """A 429: nothing more until the window resets. Returns the pause in seconds."""
        reset = _float(headers, "x-ratelimit-reset")
        if reset is None:
            reset = _float(headers, "retry-after")
        seconds = default if reset is None or reset < 0 else reset
        self.next_at = max(self.next_at, self.clock() + seconds)
        return seconds
