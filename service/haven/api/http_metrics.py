"""HTTP request metrics: how many requests, and how long each took, by method, route template
and status. The route is the template (`/v1/decisions/{decision_id}`), never the path asked for,
so a scanner or a client's ids cannot grow the number of series."""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from haven import metrics

# A request the router matched to no route (404) is counted under this one name.
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """Wraps the whole application, error answers included (a route's middleware would miss
    the requests routing refuses, and see an error before the handler turns it into a status)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        asked = scope["method"]
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before it starts a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = asked if asked in _METHODS else "other"
            route = scope.get("path_template") or UNMATCHED
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_REQUEST_SECONDS.labels(method=method, route=route).observe(time.perf_counter() - started)
