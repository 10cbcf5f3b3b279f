"""The Discourse plugin: judges forum posts from webhooks and acts through the admin API."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from haven.domain import Action, Decision, Post
from haven.plugins.protocol import ActionResult, Consumer, PeriodicTask, PluginHost

from haven_discourse.actions import SUPPORTED, ActionRunner
from haven_discourse.client import AdminClient, RateLimiter
from haven_discourse.commands import ReplyCommands, alert_topic
from haven_discourse.config import DiscourseSettings, instance_host
from haven_discourse.normalise import (
    PLATFORM,
    REGULAR_POST_TYPE,
    post_context,
    post_from_payload,
    topic_context,
    topic_external_id,
    topic_from_payload,
)
from haven_discourse.routes import webhook_route

log = logging.getLogger("haven.plugins.discourse")

POST_EVENTS = frozenset({"post_created", "post_edited"})
TOPIC_EVENTS = frozenset({"topic_created"})
# A delete fires post_destroyed (and topic_destroyed for an opening post): they cancel what is pending.
DESTROYED = {"post_destroyed": "post", "topic_destroyed": "topic"}
SEEN_TTL = 7 * 86400  # Discourse's retries end after about 2.6 hours


def seen_key(instance: str, post: Post) -> str:
    return f"discourse:seen:{instance}:{post.external_id}:{post.revision}"


class DiscoursePlugin:
    name = PLATFORM
    protocol_version = 1
    supported_actions = SUPPORTED

    def __init__(self, settings: DiscourseSettings, host: PluginHost, client: AdminClient | None = None) -> None:
        self.settings = settings
        self.host = host
        self.client = client or AdminClient(
            settings.base_url,
            settings.api_key,
            settings.api_username,
            limiter=RateLimiter(settings.requests_per_minute),
            max_wait_seconds=settings.max_wait_seconds,
            timeout_seconds=settings.timeout_seconds,
        )
        self.runner = ActionRunner(settings, self.client, host)
        self.commands = ReplyCommands(settings, self.client, host)

    # ------------------------------------------------------------------ inbound

    def routes(self) -> Sequence[Any]:
        return [webhook_route(self.settings.webhook_secret, self.receive)]

    def receive(self, event: str, payload: dict[str, Any], instance: str) -> tuple[int, dict[str, Any]]:
        """Handle one verified delivery; returns the HTTP status and body to answer with."""
        host = instance_host(instance) if instance else self.settings.instance
        if host != self.settings.instance:
            log.warning("discourse.webhook.other_instance", extra={"event": event})
            return 200, {"status": "ignored", "reason": "instance is not the configured base URL"}
        if event in DESTROYED and isinstance(payload.get(DESTROYED[event]), dict):
            return self._receive_destroyed(payload[DESTROYED[event]], host, topic=DESTROYED[event] == "topic")
        if event in POST_EVENTS and isinstance(payload.get("post"), dict):
            return self._receive_post(payload["post"], host, created=event == "post_created")
        if event in TOPIC_EVENTS and isinstance(payload.get("topic"), dict):
            return self._receive_topic(payload["topic"], host)
        return 200, {"status": "ignored", "reason": f"event {event or 'unknown'} is not judged"}

    def _receive_post(self, data: dict[str, Any], host: str, *, created: bool) -> tuple[int, dict[str, Any]]:
        if "id" not in data:
            return 400, {"error": "post has no id"}
        # A reply in a moderators' message Haven sent is read for a command, never judged.
        alert = alert_topic(self.host.kv, data.get("topic_id"))
        if alert is not None:
            # An edit never acts again: a command is the post as it was first written.
            if not created or data.get("post_type", REGULAR_POST_TYPE) != REGULAR_POST_TYPE or data.get("deleted_at"):
                return 200, {"status": "ignored", "reason": "not a new reply in the alert"}
            return self.commands.receive(data, alert)
        community = self.settings.communities.community_for(host, data.get("category_id"), data.get("category_slug"))
        if community is None:
            return 200, {"status": "ignored", "reason": "category is not mapped to a community"}
        if data.get("deleted_at") or data.get("user_deleted"):
            cancelled = self.host.cancel_actions(community, PLATFORM, str(data["id"]))
            return 200, {"status": "ignored", "reason": "deleted", "cancelled": cancelled}
        skip = self._skip(data.get("username"), data.get("topic_archetype"))
        if skip:
            return 200, {"status": "ignored", "reason": skip}
        if data.get("post_type", REGULAR_POST_TYPE) != REGULAR_POST_TYPE:
            return 200, {"status": "ignored", "reason": "not a regular post"}
        post = post_from_payload(
            data, community=community, base_url=self.settings.base_url, locale=self.settings.locale
        )
        self.runner.remember(post.external_id, post_context(data))
        return self._ingest(post, host)

    def _receive_destroyed(self, data: dict[str, Any], host: str, *, topic: bool) -> tuple[int, dict[str, Any]]:
        if "id" not in data:
            return 400, {"error": "no id"}
        community = self.settings.communities.community_for(host, data.get("category_id"), data.get("category_slug"))
        if community is None:
            return 200, {"status": "ignored", "reason": "category is not mapped to a community"}
        external_id = topic_external_id(data["id"]) if topic else str(data["id"])
        cancelled = self.host.cancel_actions(community, PLATFORM, external_id)
        return 200, {"status": "ignored", "reason": "deleted", "cancelled": cancelled}

    def _receive_topic(self, data: dict[str, Any], host: str) -> tuple[int, dict[str, Any]]:
        if "id" not in data:
            return 400, {"error": "topic has no id"}
        community = self.settings.communities.community_for(host, data.get("category_id"), data.get("category_slug"))
        if community is None:
            return 200, {"status": "ignored", "reason": "category is not mapped to a community"}
        creator = data.get("created_by")
        username = creator.get("username") if isinstance(creator, dict) else None
        skip = self._skip(username, data.get("archetype"))
        if skip:
            return 200, {"status": "ignored", "reason": skip}
        post = topic_from_payload(
            data, community=community, base_url=self.settings.base_url, locale=self.settings.locale
        )
        self.runner.remember(post.external_id, topic_context(data))
        return self._ingest(post, host)

    def _skip(self, username: object, archetype: object) -> str | None:
        if isinstance(username, str) and username.lower() == self.settings.api_username.lower():
            return "written by Haven's API user"
        if archetype == "private_message" and not self.settings.judge_private_messages:
            return "private message"
        return None

    def _ingest(self, post: Post, host: str) -> tuple[int, dict[str, Any]]:
        key = seen_key(host, post)
        if not self.host.kv.add(key, "1", ttl_seconds=SEEN_TTL):
            log.info("discourse.webhook.duplicate", extra={"post": post.external_id, "revision": post.revision})
            return 200, {"status": "duplicate", "decision_id": post.decision_id()}
        try:
            ids = self.host.ingest([post])
        except Exception:
            self.host.kv.delete(key)  # let Discourse's retry through
            log.exception("discourse.webhook.ingest_failed", extra={"post": post.external_id})
            return 503, {"error": "could not enqueue; retry later"}
        log.info("discourse.webhook.accepted", extra={"post": post.external_id, "revision": post.revision})
        return 202, {"status": "accepted", "decision_id": ids[0] if ids else post.decision_id()}

    # ----------------------------------------------------------------- outbound

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        return self.runner.execute(decision, action)

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        if outcome == "overturned":
            undone = self.runner.undo(decision)
            log.info("discourse.review.undone", extra={"decision": decision.id, "undone": undone})

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        self.runner.remind(decision, number, final)

    def escalation_acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        self.runner.acknowledged(decision, moderator, acknowledged_at)

    def consumers(self) -> Mapping[str, Consumer]:
        return {}

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]:
        return {}

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        return None

    def close(self) -> None:
        self.client.close()
