"""POST /v1/plugins/discourse/webhook: Discourse's outgoing webhook, verified from the raw body."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
from litestar import Request, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

from haven_discourse.signature import verify

log = logging.getLogger("haven.plugins.discourse")

SIGNATURE_HEADER = "x-discourse-event-signature"
EVENT_HEADER = "x-discourse-event"
INSTANCE_HEADER = "x-discourse-instance"

# (event name, payload, instance) -> (HTTP status, response body); runs in a worker thread.
Receive = Callable[[str, dict[str, Any], str], tuple[int, dict[str, Any]]]


def parse_body(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The JSON payload, whether the hook sends JSON or form-urlencoded `payload=<json>`."""
    try:
        if "x-www-form-urlencoded" in content_type:
            values = parse_qs(body.decode(), keep_blank_values=True).get("payload")
            if not values:
                return None
            data = json.loads(values[0])
        else:
            data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def webhook_route(secret: str, receive: Receive) -> HTTPRouteHandler:
    @post("/webhook", opt={"exclude_from_auth": True}, include_in_schema=True, status_code=200)
    async def discourse_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Discourse outgoing webhook (post and topic events); signed with the webhook secret."""
        body = await request.body()
        if not verify(secret, body, request.headers.get(SIGNATURE_HEADER)):
            event_id = request.headers.get("x-discourse-event-id")
            log.warning("discourse.webhook.bad_signature", extra={"event_id": event_id})
            return Response({"error": "bad signature"}, status_code=401)
        payload = parse_body(body, request.headers.get("content-type", ""))
        if payload is None:
            return Response({"error": "body is not a JSON object"}, status_code=400)
        event = request.headers.get(EVENT_HEADER, "")
        if event == "ping" or "ping" in payload:
            return Response({"status": "pong"}, status_code=200)
        instance = request.headers.get(INSTANCE_HEADER, "")
        status, answer = await anyio.to_thread.run_sync(receive, event, payload, instance)
        return Response(answer, status_code=status)

    return discourse_webhook
