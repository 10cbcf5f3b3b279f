"""The moderators' and policy authors' console at /console: static pages shipped inside the
package, served by the API's own process, talking only to the API (with the user's key).

The pages are public (they hold no data); every call they make carries an API key. Each
answer under /console, errors included, carries a Content-Security-Policy that lets the page
load nothing but its own files and call nothing but this origin.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from litestar import Response, Router, get
from litestar.enums import ScopeType
from litestar.params import FromPath
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from haven.api.problems import Problem

CONSOLE_PATH = "/console"
SECURITY_HEADERS = {
    "content-security-policy": "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    # The pages change with Haven's version: never a stale script against a newer API.
    "cache-control": "no-cache",
}
# The only files served (a name not listed is a 404, whatever lies in the folder), with their
# types; Litestar adds "charset=utf-8" to the text ones.
ASSETS = {
    "index.html": "text/html",
    "console.css": "text/css",
    "icon.svg": "image/svg+xml",
    "api.js": "text/javascript",
    "dom.js": "text/javascript",
    "console.js": "text/javascript",
    "queue.js": "text/javascript",
    "history.js": "text/javascript",
    "explain.js": "text/javascript",
}


@cache
def asset(name: str) -> bytes:
    return (files("haven.console") / "static" / name).read_bytes()


def _file(name: str) -> Response[bytes]:
    if name not in ASSETS:
        raise Problem(404, "not-found", "the console has no such file")
    return Response(asset(name), media_type=ASSETS[name])


@get("/", include_in_schema=False, sync_to_thread=False)
def console_page() -> Response[bytes]:
    return _file("index.html")


@get("/{name:str}", include_in_schema=False, sync_to_thread=False)
def console_file(name: FromPath[str]) -> Response[bytes]:
    return _file(name)


console_router = Router(path=CONSOLE_PATH, route_handlers=[console_page, console_file])


class ConsoleHeaders:
    """Adds SECURITY_HEADERS to every answer under /console, the ones routing gives (404,
    405) included, which a route's own headers would miss."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == ScopeType.HTTP else ""
        if path != CONSOLE_PATH and not path.startswith(CONSOLE_PATH + "/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS]
                message["headers"] = kept + [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, sending)


__all__ = ["CONSOLE_PATH", "SECURITY_HEADERS", "ConsoleHeaders", "console_router"]
