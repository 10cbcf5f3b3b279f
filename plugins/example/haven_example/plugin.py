"""The plugin: what Haven calls. Each method is one part of the plugin protocol
(haven.plugins.protocol, docs/plugins.md)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from haven.domain import Action, Decision, Post
from haven.plugins.protocol import ActionResult, Consumer, PeriodicTask, PluginHost

from haven_example.normalise import post_from_event
from haven_example.settings import ExampleSettings
from haven_example.stream import EventStream

log = logging.getLogger("haven.plugins.example")

EVENT_TTL = 86400


class ExamplePlugin:
    name = "example"
    # The plugin protocol this plugin was written for: Haven turns off a plugin whose version
    # it does not speak, with a message saying so, rather than calling what is not there.
    protocol_version = 1
    supported_actions = frozenset({"hold", "remove"})

    def __init__(self, settings: ExampleSettings, host: PluginHost, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.host = host
        self.http = http or httpx.Client(base_url=settings.base_url, timeout=10.0)
        self.stream = EventStream(f"{settings.base_url}/stream", self.receive_event)

    # Inbound: the webhook (routes) and the stream (consumers) both end in receive_event.

    def routes(self) -> Sequence[Any]:
        from haven_example.routes import example_routes

        return example_routes(self)

    def consumers(self) -> Mapping[str, Consumer]:
        return {"stream": Consumer(run=self.stream.run)}

    def receive_event(self, event: dict[str, Any]) -> Post | None:
        """One platform event, from either path; the same post from both is judged once."""
        post = post_from_event(event, self.settings.community)
        if post is None:
            return None
        # host.ingest deduplicates by the post's identity like POST /v1/posts does.
        self.host.ingest([post])
        log.info("example.post.ingested", extra={"external_id": post.external_id})
        return post

    # Outbound: Haven's decisions, carried out on the platform.

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        if action.kind not in self.supported_actions:
            return ActionResult("unsupported")
        try:
            # Hiding twice is harmless on the platform: execute may run twice for one action.
            response = self.http.post(f"/posts/{decision.post.external_id}/hide")
        except httpx.TransportError as exc:
            return ActionResult("failed", type(exc).__name__, retryable=True)
        if response.status_code >= 500 or response.status_code == 429:
            return ActionResult("failed", f"HTTP {response.status_code}", retryable=True)
        if response.status_code >= 400:
            return ActionResult("failed", f"HTTP {response.status_code}")
        return ActionResult("done")

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        if outcome == "overturned" and decision.verdict in ("hold", "remove"):
            self.http.post(f"/posts/{decision.post.external_id}/unhide")

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        """No moderator acknowledged the escalation yet: tell the platform's moderators again."""
        # Haven renders the alert (title, rules, evidence, what to do, links) the same for every
        # platform; a plugin only puts it in its platform's format. Here: its title and link.
        alert = self.host.alert(decision)
        self.http.post(
            "/moderators/notify",
            json={
                "post": decision.post.external_id,
                "reminder": number,
                "final": final,
                "title": alert.title,
                "console": alert.links.console,
            },
        )

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]:
        return {}

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        return None

    def close(self) -> None:
        self.http.close()
