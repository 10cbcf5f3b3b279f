"""A small Reddit API client on httpx: bearer auth, User-Agent, rate limit, retries.

Every request carries `raw_json=1` (so text comes back unescaped) and every
form body `api_type=json`, as prawcore does. A 401 renews the token once; a
429 pauses the rate limiter until Reddit's reset and raises; 5xx and network
errors are retried with exponential backoff, then raise as transient.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from haven_reddit.auth import AuthError, TokenManager
from haven_reddit.ratelimit import RateLimited, RateLimiter

log = logging.getLogger("haven.plugins.reddit")


class RedditError(Exception):
    """A request Reddit did not carry out."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class RedditClient:
    def __init__(
        self,
        http: httpx.Client,
        tokens: TokenManager,
        limiter: RateLimiter,
        *,
        retries: int = 3,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self.limiter = limiter
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff

    def get(self, path: str, params: Mapping[str, str] | None = None, *, max_wait: float | None = None) -> Any:
        return self._request("GET", path, params=dict(params or {}), data=None, max_wait=max_wait)

    def post(self, path: str, data: Mapping[str, str], *, max_wait: float | None = None) -> Any:
        form = {"api_type": "json", **data}
        return self._request("POST", path, params={}, data=form, max_wait=max_wait)

    def _send(self, method: str, path: str, params: dict[str, str], data: dict[str, str] | None) -> httpx.Response:
        headers = {"Authorization": f"bearer {self._tokens.token()}"}
        return self._http.request(method, path, params={**params, "raw_json": "1"}, data=data, headers=headers)

    def _request(
        self, method: str, path: str, *, params: dict[str, str], data: dict[str, str] | None, max_wait: float | None
    ) -> Any:
        attempt = 0
        renewed = False
        while True:
            self.limiter.wait(max_wait)
            try:
                response = self._send(method, path, params, data)
            except AuthError as exc:
                raise RedditError(str(exc), retryable=exc.retryable) from None
            except httpx.HTTPError as exc:
                failure = f"{type(exc).__name__}"
                status: int | None = None
            else:
                self.limiter.update(response.headers)
                status = response.status_code
                if status == 401 and not renewed:
                    renewed = True
                    self._tokens.invalidate()
                    continue
                if status == 429:
                    pause = self.limiter.pause(response.headers)
                    log.warning("reddit.rate_limited", extra={"path": path, "pause_seconds": pause})
                    raise RateLimited(pause)
                if status < 400:
                    return response.json() if response.content else {}
                if status < 500:
                    raise RedditError(f"{method} {path} answered {status}", status=status)
                failure = f"HTTP {status}"
            attempt += 1
            if attempt > self._retries:
                raise RedditError(f"{method} {path} failed: {failure}", status=status, retryable=True)
            delay = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
            log.warning("reddit.retry", extra={"path": path, "status": status, "attempt": attempt, "delay": delay})
            if max_wait is not None and delay > max_wait:
                raise RedditError(f"{method} {path} failed: {failure}", status=status, retryable=True)
            self.limiter.sleep(delay)


def build_client(
    *,
    auth_url: str,
    api_url: str,
    user_agent: str,
    client_id: str,
    client_secret: str,
    username: str,
    password: str | None,
    refresh_token: str | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    timeout: float = 30.0,
) -> tuple[RedditClient, list[httpx.Client]]:
    """The client and the HTTP connections it owns (closed by the plugin)."""
    headers = {"User-Agent": user_agent}
    auth_http = httpx.Client(base_url=auth_url, headers=headers, timeout=timeout)
    api_http = httpx.Client(base_url=api_url, headers=headers, timeout=timeout)
    tokens = TokenManager(
        auth_http,
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        password=password,
        refresh_token=refresh_token,
        clock=clock,
    )
    limiter = RateLimiter(clock, sleep)
    return RedditClient(api_http, tokens, limiter), [auth_http, api_http]
