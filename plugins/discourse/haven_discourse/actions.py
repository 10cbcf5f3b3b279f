"""Haven's neutral actions carried out through the Discourse admin API.

| action | Discourse call |
|---|---|
| hold | POST /post_actions.json, inappropriate flag (4) with the staff option that hides (HIDE_STYLE) |
| flag_for_review | POST /post_actions.json, notify_moderators flag (7) with a message |
| remove | DELETE /posts/{id}.json (not force) |
| notify_author, private reply | POST /posts.json, a private message to the author |
| reply | POST /posts.json, a reply in the topic |
| escalate | POST /posts.json, a private message to the moderators group |
| label | PUT /t/-/{topic}.json adding a tag |
| lock | PUT /posts/{id}/locked.json |
| silence | PUT /admin/users/{id}/silence.json (only when a policy asks for it) |
| redact | unsupported: Haven does not rewrite members' words |

Every action is recorded in the plugin's key-value store once done, so a task
that runs twice does not act twice, and an overturned review knows what to undo.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from haven.domain import Action, Decision
from haven.moderation.alert import markdown
from haven.moderation.commands import HELP, say_acknowledged
from haven.plugins.ledger import action_key
from haven.plugins.protocol import ActionResult, PluginHost

from haven_discourse.client import AdminClient, ApiResponse, RateLimited
from haven_discourse.commands import AlertTopic, remember_alert_topic
from haven_discourse.config import DiscourseSettings
from haven_discourse.normalise import PostContext

log = logging.getLogger("haven.plugins.discourse")

INAPPROPRIATE = 4
NOTIFY_MODERATORS = 7
SUPPORTED = frozenset(
    {"hold", "flag_for_review", "remove", "notify_author", "reply", "escalate", "label", "lock", "silence"}
)
CONTEXT_TTL = 30 * 86400
DONE_TTL = 90 * 86400
CRISIS_TEMPLATES = ("crisis-resources", "crisis-concern")


def context_key(external_id: str) -> str:
    return f"discourse:post:{external_id}"


def alert_key(decision: Decision) -> str:
    """The topic id of the moderators' alert message of a decision."""
    return f"discourse:alert:{decision.id}"


def done_key(decision: Decision, action: Action) -> str:
    return f"discourse:done:{action_key(decision, action)}"


class ActionFailed(Exception):
    def __init__(self, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


@dataclass(frozen=True)
class Done:
    ref: str | None = None
    detail: str = ""


def _check(response: ApiResponse, what: str, *, accept: tuple[int, ...] = ()) -> ApiResponse:
    if response.ok or response.status in accept:
        return response
    raise ActionFailed(f"{what}: {response.describe()}", retryable=response.status >= 500)


def _already_done(response: ApiResponse) -> bool:
    """Discourse refuses a second flag of the same kind by the same user (403/422 'already')."""
    if response.status not in (403, 422):
        return False
    return "already" in json.dumps(response.data).lower()


class ActionRunner:
    def __init__(
        self,
        settings: DiscourseSettings,
        client: AdminClient,
        host: PluginHost,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.client = client
        self.host = host
        self.kv = host.kv
        self.now = now
        self._handlers: dict[str, Callable[[Decision, Action, PostContext], Done]] = {
            "hold": self._hold,
            "flag_for_review": self._flag_for_review,
            "remove": self._remove,
            "notify_author": self._private_message_to_author,
            "reply": self._reply,
            "escalate": self._escalate,
            "label": self._label,
            "lock": self._lock,
            "silence": self._silence,
        }

    # ---------------------------------------------------------------- entry points

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        handler = self._handlers.get(action.kind)
        if handler is None:
            return ActionResult("unsupported", f"Discourse cannot carry out {action.kind}")
        if decision.mode == "shadow":
            return ActionResult("skipped", "shadow decision")
        key = done_key(decision, action)
        previous = self.kv.get(key)
        if previous is not None:
            return ActionResult("done", "already done", platform_ref=json.loads(previous).get("ref"))
        try:
            context = self.context(decision)
            done = handler(decision, action, context)
        except ActionFailed as exc:
            log.warning("discourse.action.failed", extra={"decision": decision.id, "action": action.kind})
            return ActionResult("failed", exc.detail, retryable=exc.retryable)
        except RateLimited as exc:
            # Retry-After (or the wait for a slot): the task tries again no sooner than that.
            return ActionResult("failed", str(exc), retryable=True, retry_after_seconds=exc.retry_after)
        except httpx.HTTPError as exc:
            return ActionResult("failed", f"Discourse unreachable: {type(exc).__name__}", retryable=True)
        self.kv.set(key, json.dumps({"ref": done.ref, "post": decision.post.external_id}), ttl_seconds=DONE_TTL)
        log.info("discourse.action.done", extra={"decision": decision.id, "action": action.kind})
        return ActionResult("done", done.detail, platform_ref=done.ref)

    def undo(self, decision: Decision) -> list[str]:
        """Undo, for an overturned decision, what was done and can be undone; returns what was undone."""
        undone: list[str] = []
        for action in decision.actions:
            if self.kv.get(done_key(decision, action)) is None:
                continue
            try:
                if self._undo_one(decision, action):
                    undone.append(action.kind)
                    self.kv.delete(done_key(decision, action))
            except (ActionFailed, RateLimited, httpx.HTTPError):
                log.warning("discourse.undo.failed", extra={"decision": decision.id, "action": action.kind})
        return undone

    # ---------------------------------------------------------------- context

    def remember(self, external_id: str, context: PostContext) -> None:
        self.kv.set(context_key(external_id), json.dumps(context.to_json()), ttl_seconds=CONTEXT_TTL)

    def context(self, decision: Decision) -> PostContext:
        stored = self.kv.get(context_key(decision.post.external_id))
        if stored is not None:
            return PostContext.from_json(json.loads(stored))
        if decision.post.external_id.startswith("topic-"):
            topic_id = int(decision.post.external_id.removeprefix("topic-"))
            data = _check(self.client.request("GET", f"/t/{topic_id}.json"), "topic lookup").data or {}
            details = data.get("details") or {}
            creator = details.get("created_by") or {}
            return PostContext(None, topic_id, None, creator.get("id"), creator.get("username"))
        response = _check(self.client.request("GET", f"/posts/{decision.post.external_id}.json"), "post lookup")
        data = response.data or {}
        return PostContext(data.get("id"), data.get("topic_id"), data.get("post_number"), data.get("user_id"),
                           data.get("username"))  # fmt: skip

    # ---------------------------------------------------------------- actions

    def _post_id(self, context: PostContext) -> int:
        if context.post_id is None:
            raise ActionFailed("this action needs a post, and the decision is about a topic title")
        return context.post_id

    def _hold(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if context.post_id is None and context.topic_id is not None:
            # A topic title: unlist the topic until a moderator has looked.
            unlist = {"status": "visible", "enabled": "false"}
            _check(self.client.request("PUT", f"/t/{context.topic_id}/status.json", unlist), "unlist topic")
            return Done(ref=f"topic:{context.topic_id}", detail="topic unlisted")
        post_id = self._post_id(context)
        body: dict[str, Any] = {"id": post_id, "post_action_type_id": INAPPROPRIATE, "flag_topic": "false"}
        # Rails compares these flags with the string "true".
        body[self.settings.hide_style] = "true"
        response = self.client.request("POST", "/post_actions.json", body)
        if _already_done(response):
            return Done(ref=f"post:{post_id}", detail="already flagged")
        _check(response, "hide flag")
        return Done(ref=f"post:{post_id}", detail=f"hidden by a staff flag ({self.settings.hide_style})")

    def _flag_for_review(self, decision: Decision, action: Action, context: PostContext) -> Done:
        post_id = self._post_id(context)
        reason = action.params.get("reason") or ", ".join(decision.categories) or decision.verdict
        body = {
            "id": post_id,
            "post_action_type_id": NOTIFY_MODERATORS,
            "message": " ".join(
                [
                    f"Haven flagged this post for review: {reason}.",
                    *decision.conversation_lines,
                    f"Decision {decision.id}, in Haven's console: {self.host.alert(decision).links.console}",
                ]
            ),
            "flag_topic": "false",
        }
        response = self.client.request("POST", "/post_actions.json", body)
        if _already_done(response):
            return Done(ref=f"post:{post_id}", detail="already flagged")
        _check(response, "notify-moderators flag")
        return Done(ref=f"post:{post_id}", detail="flagged for the moderators")

    def _remove(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if context.post_id is None and context.topic_id is not None:
            _check(self.client.request("DELETE", f"/t/{context.topic_id}.json"), "delete topic", accept=(404,))
            return Done(ref=f"topic:{context.topic_id}", detail="topic deleted")
        post_id = self._post_id(context)
        response = self.client.request("DELETE", f"/posts/{post_id}.json", {"force_destroy": False})
        _check(response, "delete post", accept=(404,))
        return Done(ref=f"post:{post_id}", detail="deleted" if response.ok else "already gone")

    def _private_message(self, recipients: str, title: str, raw: str) -> Done:
        body = {"title": title[:250], "raw": raw, "archetype": "private_message", "target_recipients": recipients}
        response = _check(self.client.request("POST", "/posts.json", body), "private message")
        data = response.data if isinstance(response.data, dict) else {}
        topic = data.get("topic_id")
        return Done(ref=f"topic:{topic}" if topic is not None else None, detail="private message sent")

    def _private_message_to_author(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if not context.username:
            raise ActionFailed("the author's username is unknown")
        template = str(action.params.get("template") or "")
        if template in CRISIS_TEMPLATES:
            title = "You're not alone: support is available right now"
        else:
            title = "A note from the moderators about your post"
        text = str(action.params.get("text") or "A moderator will look at your post.")
        link = f"\n\n{decision.post.url}" if decision.post.url else ""
        return self._private_message(context.username, title, text + link)

    def _reply(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if action.params.get("private") or action.target == "author":
            return self._private_message_to_author(decision, action, context)
        if context.topic_id is None:
            raise ActionFailed("the topic is unknown")
        body: dict[str, Any] = {"topic_id": context.topic_id, "raw": str(action.params.get("text") or "")}
        if context.post_number:
            body["reply_to_post_number"] = context.post_number
        response = _check(self.client.request("POST", "/posts.json", body), "reply")
        data = response.data if isinstance(response.data, dict) else {}
        return Done(ref=f"post:{data.get('id')}" if data.get("id") is not None else None, detail="replied")

    def _escalate(self, decision: Decision, action: Action, context: PostContext) -> Done:
        alert = self.host.alert(decision, locale=self.settings.locale)
        who = f"by @{context.username}" if context.username else f"by member {decision.post.author_id}"
        quoted_from = ", ".join(f"@{u}" for u in context.quoted_users) or "another member"
        raw = markdown(
            alert,
            commands=[f"{HELP}\n\nOnly staff (moderators and admins) can; Haven answers here."],
            author=who,
            quoted_from=quoted_from,
        )
        title = f"[Haven] {(alert.priority or 'normal').capitalize()}: {alert.title}"
        done = self._private_message(self.settings.moderators_group, title, raw)
        if done.ref is not None:
            topic = done.ref.removeprefix("topic:")
            self.kv.set(alert_key(decision), topic, ttl_seconds=DONE_TTL)
            remember_alert_topic(self.kv, topic, AlertTopic(decision.id, decision.post.community))
        return done

    def remind(self, decision: Decision, number: int, final: bool) -> None:
        """A reply in the moderators' alert message (a new message when there is none)."""
        if final:
            raw = f"Nobody has acknowledged this escalation after {number} reminders: the on-call list has been told."
        else:
            raw = (
                f"Reminder {number}: nobody has acknowledged this escalation yet (decision {decision.id}). "
                "Reply `!haven ack` once someone is on it."
            )
        if self.kv.get(alert_key(decision)) is not None:
            self._say_in_alert(decision, raw)
            return
        try:
            self._private_message(self.settings.moderators_group, f"[Haven] Reminder {number}", raw)
        except (ActionFailed, RateLimited, httpx.HTTPError):
            log.warning("discourse.reminder.failed", extra={"decision": decision.id})

    def acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        """Once, in the moderators' alert message, unless it was acknowledged by a reply there."""
        said = say_acknowledged(
            self.kv, "discourse", decision.id, moderator, acknowledged_at, lambda raw: self._say_in_alert(decision, raw)
        )
        log.info("discourse.acknowledged", extra={"decision": decision.id, "said": said})

    def _say_in_alert(self, decision: Decision, raw: str) -> bool:
        """A reply in the moderators' alert message; False when there is none or Discourse refused."""
        topic = self.kv.get(alert_key(decision))
        if topic is None:
            return False
        try:
            _check(self.client.request("POST", "/posts.json", {"topic_id": int(topic), "raw": raw}), "alert reply")
        except (ActionFailed, RateLimited, httpx.HTTPError):
            log.warning("discourse.alert_reply.failed", extra={"decision": decision.id})
            return False
        return True

    def _label(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if context.topic_id is None:
            raise ActionFailed("the topic is unknown")
        name = str(action.params.get("name") or "").strip().lower()
        topic = _check(self.client.request("GET", f"/t/{context.topic_id}.json"), "topic lookup").data or {}
        tags = [t if isinstance(t, str) else str(t.get("name")) for t in topic.get("tags") or []]
        if name in tags:
            return Done(ref=f"tag:{name}", detail="already tagged")
        _check(self.client.request("PUT", f"/t/-/{context.topic_id}.json", {"tags": [*tags, name]}), "tag topic")
        return Done(ref=f"tag:{name}", detail="tagged")

    def _lock(self, decision: Decision, action: Action, context: PostContext) -> Done:
        post_id = self._post_id(context)
        _check(self.client.request("PUT", f"/posts/{post_id}/locked.json", {"locked": "true"}), "lock post")
        return Done(ref=f"post:{post_id}", detail="locked")

    def _silence(self, decision: Decision, action: Action, context: PostContext) -> Done:
        if context.user_id is None:
            raise ActionFailed("the author's user id is unknown")
        hours = int(action.params.get("hours") or 24)
        body = {
            "silenced_till": (self.now() + timedelta(hours=hours)).isoformat(),
            "reason": f"Haven: {', '.join(decision.categories) or decision.verdict} (decision {decision.id})",
            "post_id": context.post_id,
        }
        _check(self.client.request("PUT", f"/admin/users/{context.user_id}/silence.json", body), "silence")
        return Done(ref=f"user:{context.user_id}", detail=f"silenced for {hours}h")

    # ---------------------------------------------------------------- undo

    def _undo_one(self, decision: Decision, action: Action) -> bool:
        context = self.context(decision)
        if action.kind == "hold":
            if context.post_id is None and context.topic_id is not None:
                body = {"status": "visible", "enabled": "true"}
                _check(self.client.request("PUT", f"/t/{context.topic_id}/status.json", body), "relist topic")
                return True
            _check(self.client.request("PUT", f"/posts/{self._post_id(context)}/unhide"), "unhide")
            return True
        if action.kind == "remove":
            if context.post_id is None and context.topic_id is not None:
                _check(self.client.request("PUT", f"/t/{context.topic_id}/recover.json"), "recover topic")
                return True
            _check(self.client.request("PUT", f"/posts/{self._post_id(context)}/recover.json"), "recover post")
            return True
        if action.kind == "lock":
            path = f"/posts/{self._post_id(context)}/locked.json"
            _check(self.client.request("PUT", path, {"locked": "false"}), "unlock post")
            return True
        if action.kind == "silence" and context.user_id is not None:
            _check(self.client.request("PUT", f"/admin/users/{context.user_id}/unsilence.json"), "unsilence")
            return True
        return False
