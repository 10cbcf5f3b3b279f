"""The Discourse admin API: Api-Key/Api-Username auth, a client-side rate limit, 429 handling."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("haven.plugins.discourse")


class RateLimiter:
    """At most `per_minute` calls in any 60 seconds (Discourse's max_admin_api_reqs_per_minute).

    In one process; with several worker processes give each its share.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self._blocked_until = 0.0

    def wait_time(self) -> float:
        """Seconds until a call may go out (0 when it may go now)."""
        with self._lock:
            now = self._clock()
            while self._calls and self._calls[0] <= now - self.window:
                self._calls.popleft()
            wait = max(0.0, self._blocked_until - now)
            if len(self._calls) >= self.per_minute:
                wait = max(wait, self._calls[0] + self.window - now)
            return wait

    def acquire(self, max_wait: float) -> bool:
        """Take a slot, sleeping up to `max_wait` for one; False if none comes in time."""
        waited = 0.0
        while True:
            wait = self.wait_time()
            if wait <= 0:
                with self._lock:
                    self._calls.append(self._clock())
                return True
            if waited + wait > max_wait:
                return False
            self._sleep(wait)
            waited += wait

    def block_for(self, seconds: float) -> None:
        """The server said 429: no calls from here for `seconds`."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: Any
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_type(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("error_type") or "")
        return ""

    def describe(self) -> str:
        return f"HTTP {self.status}" + (f" ({self.error_type})" if self.error_type else "")


class RateLimited(Exception):
    """No slot within the allowed wait; the caller retries later."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"admin API rate limit; retry in {retry_after:.0f}s")
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float:
    header = response.headers.get("Retry-After", "").strip()
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    try:
        body = response.json()
        return max(0.0, float(body["extras"]["wait_seconds"]))
    except (ValueError, KeyError, TypeError):
        return 60.0


class AdminClient:
    """Thin, thread-safe calls to one Discourse instance's admin API."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_username: str,
        *,
        limiter: RateLimiter,
        max_wait_seconds: float = 10.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.limiter = limiter
        self.max_wait_seconds = max_wait_seconds
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Api-Key": api_key, "Api-Username": api_username, "Accept": "application/json"},
            timeout=timeout_seconds,
        )

    def request(self, method: str, path: str, json: dict[str, Any] | None = None) -> ApiResponse:
        """One call, waiting for a rate-limit slot; on 429 waits Retry-After (if short) and tries once more.

        Raises RateLimited when the wait would be longer than `max_wait_seconds`, and
        httpx.TransportError when the instance cannot be reached.
        """
        for attempt in range(2):
            if not self.limiter.acquire(self.max_wait_seconds):
                raise RateLimited(self.limiter.wait_time())
            response = self._http.request(method, path, json=json)
            log.info("discourse.api", extra={"method": method, "path": path, "status": response.status_code})
            if response.status_code != 429:
                try:
                    data = response.json() if response.content else None
                except ValueError:
                    data = None
                return ApiResponse(response.status_code, data)
            wait = _retry_after(response)
            self.limiter.block_for(wait)
            if attempt == 1 or wait > self.max_wait_seconds:
                raise RateLimited(wait)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._http.close()
