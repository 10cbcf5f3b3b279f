"""POST /v1/plugins/slack/events and /interactions, verified over the raw body as Slack signs it."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import anyio.to_thread
from litestar import Request, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

from haven_slack.signature import verify

if TYPE_CHECKING:
    from haven_slack.plugin import SlackPlugin

log = logging.getLogger("haven.plugins.slack")

INVALID = {"error": "invalid request"}


def _signed(plugin: SlackPlugin, request: Request[Any, Any, Any], body: bytes) -> bool:
    return verify(
        plugin.settings.signing_secret,
        request.headers.get("x-slack-request-timestamp"),
        request.headers.get("x-slack-signature"),
        body,
    )


def slack_routes(plugin: SlackPlugin) -> list[HTTPRouteHandler]:
    @post("/events", status_code=200, summary="Slack Events API (signed by Slack)")
    async def slack_events(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body = await request.body()
        if not _signed(plugin, request, body):
            log.warning("slack.bad_signature", extra={"path": "events"})
            return Response(INVALID, status_code=401)
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError):
            return Response({"error": "not JSON"}, status_code=400)
        if not isinstance(envelope, dict):
            return Response({"error": "not an object"}, status_code=400)
        answer = await anyio.to_thread.run_sync(plugin.receive_event, envelope)
        return Response(answer, status_code=200)

    @post("/interactions", status_code=200, summary="Slack interactivity (button clicks, signed by Slack)")
    async def slack_interactions(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body = await request.body()
        if not _signed(plugin, request, body):
            log.warning("slack.bad_signature", extra={"path": "interactions"})
            return Response(INVALID, status_code=401)
        try:
            payload = json.loads(parse_qs(body.decode(), keep_blank_values=True)["payload"][0])
        except (KeyError, IndexError, ValueError, UnicodeDecodeError):
            return Response({"error": "no payload"}, status_code=400)
        if isinstance(payload, dict):
            await anyio.to_thread.run_sync(plugin.receive_interaction, payload)
        return Response({}, status_code=200)

    return [slack_events, slack_interactions]
