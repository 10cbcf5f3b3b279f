"""The few Slack Web API methods the plugin calls, with 429 Retry-After surfaced to the caller."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("haven.plugins.slack")


@dataclass(frozen=True)
class SlackReply:
    ok: bool
    data: dict[str, Any]
    error: str | None = None
    # Set when the call should be tried again later (429, 5xx, network); seconds to wait if Slack said.
    retry_after: float | None = None
    transient: bool = False


class SlackWeb:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def call(self, method: str, token: str, payload: dict[str, Any], *, form: bool = False) -> SlackReply:
        url = f"{self._base}/{method}"
        headers = {"authorization": f"Bearer {token}"}
        try:
            if form:
                response = self._http.post(url, data=payload, headers=headers)
            else:
                response = self._http.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("slack.web.unreachable", extra={"method": method, "error": type(exc).__name__})
            return SlackReply(False, {}, f"unreachable: {type(exc).__name__}", transient=True)
        if response.status_code == 429:
            try:
                wait = float(response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            log.info("slack.web.rate_limited", extra={"method": method, "retry_after": wait})
            return SlackReply(False, {}, "ratelimited", retry_after=wait, transient=True)
        if response.status_code >= 500:
            return SlackReply(False, {}, f"http {response.status_code}", transient=True)
        try:
            data = response.json()
        except ValueError:
            return SlackReply(False, {}, f"http {response.status_code}: not JSON", transient=True)
        if not isinstance(data, dict):
            return SlackReply(False, {}, "unexpected answer")
        if data.get("ok"):
            return SlackReply(True, data)
        error = str(data.get("error", "unknown_error"))
        log.info("slack.web.error", extra={"method": method, "error": error})
        return SlackReply(False, data, error, transient=error in {"ratelimited", "internal_error", "fatal_error"})

    def close(self) -> None:
        self._http.close()
