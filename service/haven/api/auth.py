"""API keys: `Authorization: Bearer KEY`, one community and a set of scopes per key."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import SecurityRequirement, SecurityScheme

from haven.api.problems import Problem
from haven.store.records import ApiKey
from haven.store.repository import Store

PUBLIC_PATHS = ["/healthz", "/readyz", "/metrics", "/schema"]
API_KEY_SCHEME = "apiKey"
API_KEY_SCHEMES = {
    API_KEY_SCHEME: SecurityScheme(
        type="http", scheme="bearer", description="An API key from `haven keys create`, sent as `Bearer KEY`."
    )
}
# Declared on each controller that needs a key, not on the whole document, so that the public
# routes above and the plugins' webhooks (which verify the platform's own signature) carry none.
API_KEY_SECURITY: list[SecurityRequirement] = [{API_KEY_SCHEME: []}]
CACHE_SECONDS = 30.0
_UNAUTHENTICATED = {"www-authenticate": 'Bearer realm="haven"'}


class KeyCache:
    """Recently seen keys, so a busy ingest path does not read the database every request."""

    def __init__(self, store: Store, ttl: float = CACHE_SECONDS) -> None:
        self._store = store
        self._ttl = ttl
        self._seen: dict[str, tuple[float, ApiKey | None]] = {}

    def remembered(self, secret: str) -> tuple[bool, ApiKey | None]:
        """(seen lately, the key or None) from memory alone, without touching the database."""
        hit = self._seen.get(secret)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return True, hit[1]
        return False, None

    def find(self, secret: str) -> ApiKey | None:
        seen, key = self.remembered(secret)
        if seen:
            return key
        now = time.monotonic()
        key = self._store.find_api_key(secret)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[secret] = (now, key)
        return key


class ApiKeyAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Problem(
                401,
                "unauthenticated",
                "send an API key as `Authorization: Bearer KEY` (create one with `haven keys create`)",
                headers=_UNAUTHENTICATED,
            )
        keys: KeyCache = connection.app.state["keys"]
        seen, key = keys.remembered(secret.strip())
        if not seen:
            # Only a key not seen lately costs a thread (the database): a hop for every
            # request cost the ingest path a sixteenth of its CPU.
            key = await anyio.to_thread.run_sync(keys.find, secret.strip())
        if key is None:
            raise Problem(401, "unauthenticated", "this API key is not known", headers=_UNAUTHENTICATED)
        return AuthenticationResult(user=key, auth=key.id)


def requires(scope: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the key must carry `scope` (admin carries every scope)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        key: ApiKey = connection.user
        if scope not in key.scopes and "admin" not in key.scopes:
            raise Problem(
                403,
                "missing-scope",
                f"this API key lacks the '{scope}' scope",
                required_scope=scope,
            )

    return guard


def same_community(key: ApiKey, community: str) -> None:
    if community != key.community:
        raise Problem(
            403,
            "wrong-community",
            "this API key belongs to another community than the post's",
        )
