"""Staff act on Haven's alert by replying in the moderators' message Haven sent, with the
commands of haven.moderation.commands (`!haven ack`, `!haven uphold [note]`,
`!haven overturn [note]`).

Why replies and not signed one-time links: the reply reaches Haven as a `post_created`
webhook signed with the webhook secret, so it is Discourse that says who wrote it (a signed-in
user, with the site's own login, SSO and 2FA) and whether they are staff *now* (the payload's
`staff`, `admin`, `moderator` flags). A link proves only that someone holds the URL: it
travels in notification emails and chat forwards, mail scanners open links before people do,
and a click names nobody. Replies also leave the record in the message itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from haven.moderation.commands import carry_out, parse_command
from haven.plugins.protocol import KeyValue, PluginHost

from haven_discourse.client import AdminClient, RateLimited
from haven_discourse.config import DiscourseSettings

log = logging.getLogger("haven.plugins.discourse")

STATE_TTL = 90 * 86400
COMMAND_TTL = 90 * 86400


def alert_topic_key(topic_id: object) -> str:
    return f"discourse:alert-topic:{topic_id}"


@dataclass(frozen=True)
class AlertTopic:
    decision_id: str
    community: str


def remember_alert_topic(kv: KeyValue, topic_id: str, alert: AlertTopic) -> None:
    """Called when Haven sends the moderators' message: replies in it are read as commands."""
    value = json.dumps({"decision_id": alert.decision_id, "community": alert.community})
    kv.set(alert_topic_key(topic_id), value, ttl_seconds=STATE_TTL)


def alert_topic(kv: KeyValue, topic_id: object) -> AlertTopic | None:
    raw = kv.get(alert_topic_key(topic_id)) if topic_id is not None else None
    return AlertTopic(**json.loads(raw)) if raw else None


def is_staff(post: dict[str, Any]) -> bool:
    return any(post.get(flag) is True for flag in ("staff", "admin", "moderator"))


class ReplyCommands:
    def __init__(self, settings: DiscourseSettings, client: AdminClient, host: PluginHost) -> None:
        self.settings = settings
        self.client = client
        self.host = host

    def receive(self, post: dict[str, Any], alert: AlertTopic) -> tuple[int, dict[str, Any]]:
        """A new post in a moderators' message of Haven's; the HTTP status and body to answer."""
        username = str(post.get("username") or "")
        if username.lower() == self.settings.api_username.lower():
            return 200, {"status": "ignored", "reason": "written by Haven's API user"}
        command = parse_command(str(post.get("raw") or ""))
        if command is None:
            return 200, {"status": "ignored", "reason": "a reply in an alert, not a command"}
        if not self.host.kv.add(f"discourse:command:{post['id']}", "1", ttl_seconds=COMMAND_TTL):
            return 200, {"status": "duplicate"}
        if is_staff(post):
            answer, done = carry_out(
                self.host,
                alert.community,
                alert.decision_id,
                command,
                moderator=f"discourse:{username}",
                shown_as=f"@{username}",
                source="the Discourse moderators' message",
            )
        else:
            answer, done = (
                f"@{username}: only staff (moderators and admins) of this forum can review or acknowledge "
                "Haven's alerts. Nothing was recorded.",
                False,
            )
        self._answer(post, answer, alert)
        log.info(
            "discourse.command", extra={"decision_id": alert.decision_id, "choice": command.verb, "recorded": done}
        )
        return 200, {"status": "recorded" if done else "refused", "decision_id": alert.decision_id}

    def _answer(self, post: dict[str, Any], text: str, alert: AlertTopic) -> None:
        body: dict[str, Any] = {"topic_id": post["topic_id"], "raw": text}
        if isinstance(post.get("post_number"), int):
            body["reply_to_post_number"] = post["post_number"]
        try:
            response = self.client.request("POST", "/posts.json", body)
        except (RateLimited, httpx.HTTPError):
            response = None
        if response is None or not response.ok:
            # Recorded all the same: the answer is lost rather than the command acted on twice.
            log.warning("discourse.command_answer_failed", extra={"decision_id": alert.decision_id})
