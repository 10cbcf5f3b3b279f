"""OAuth2 tokens for a Reddit script app (password grant) or an installed refresh token.

The token is fetched lazily, kept in memory only (never logged), and renewed
`margin` seconds before the `expires_in` Reddit returned runs out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

log = logging.getLogger("haven.plugins.reddit")


class AuthError(Exception):
    """Reddit refused the credentials, or the token endpoint failed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class TokenManager:
    def __init__(
        self,
        http: httpx.Client,
        *,
        client_id: str,
        client_secret: str,
        username: str,
        password: str | None,
        refresh_token: str | None,
        clock: Callable[[], float] = time.monotonic,
        margin: float = 60.0,
    ) -> None:
        self._http = http
        self._basic = httpx.BasicAuth(client_id, client_secret)
        self._username = username
        self._password = password
        self._refresh_token = refresh_token
        self._clock = clock
        self._margin = margin
        self._token: str | None = None
        self._expires_at = 0.0

    @property
    def grant(self) -> str:
        return "refresh_token" if self._refresh_token else "password"

    def _form(self) -> dict[str, str]:
        if self._refresh_token:
            return {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        return {"grant_type": "password", "username": self._username, "password": self._password or ""}

    def token(self) -> str:
        now = self._clock()
        if self._token is not None and now < self._expires_at - self._margin:
            return self._token
        try:
            response = self._http.post("/api/v1/access_token", data=self._form(), auth=self._basic)
        except httpx.HTTPError as exc:
            raise AuthError(f"token request failed: {type(exc).__name__}", retryable=True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise AuthError(f"token endpoint answered {response.status_code}", retryable=True)
        if response.status_code != 200:
            raise AuthError(f"token endpoint answered {response.status_code}", retryable=False)
        payload = response.json()
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not token:
            # e.g. {"error": "invalid_grant"}: wrong password, revoked refresh token.
            error = payload.get("error", "no access_token") if isinstance(payload, dict) else "bad response"
            raise AuthError(f"token refused: {error}", retryable=False)
        expires_in = float(payload.get("expires_in") or 3600)
        self._token = str(token)
        self._expires_at = now + expires_in
        log.info("reddit.token", extra={"grant": self.grant, "expires_in": expires_in})
        return self._token

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = 0.0
