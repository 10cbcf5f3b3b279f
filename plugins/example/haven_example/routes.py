"""POST /v1/plugins/example/events: the platform's webhook, verified over the raw body.

Haven asks no API key of a plugin's routes: each checks the platform's own signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar import Request, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

if TYPE_CHECKING:
    from haven_example.plugin import ExamplePlugin

SIGNATURE_HEADER = "x-example-signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def example_routes(plugin: ExamplePlugin) -> list[HTTPRouteHandler]:
    @post("/events", status_code=202, summary="The example platform's webhook (signed by the platform)")
    async def example_events(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body = await request.body()
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, signature(plugin.settings.webhook_secret, body)):
            return Response({"error": "bad signature"}, status_code=401)
        try:
            event = json.loads(body)
        except ValueError:
            return Response({"error": "not JSON"}, status_code=400)
        if not isinstance(event, dict):
            return Response({"error": "not an object"}, status_code=400)
        post = await anyio.to_thread.run_sync(plugin.receive_event, event)
        return Response({"status": "ingested" if post else "ignored"}, status_code=202)

    return [example_events]
