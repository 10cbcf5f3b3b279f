"""The Slack plugin: workspace messages judged from the Events API, moderators alerted
with buttons, neutral actions carried out with the Web API."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from haven.domain import Action, Decision
from haven.moderation.alert import Alert
from haven.plugins.ledger import action_key
from haven.plugins.protocol import ActionResult, Consumer, PeriodicTask, PluginHost

from haven_slack import alerts
from haven_slack.normalise import (
    JUDGED_SUBTYPES,
    PLATFORM,
    is_from_a_bot,
    message_id,
    post_from_message,
    split_message_id,
)
from haven_slack.settings import SlackSettings
from haven_slack.web import SlackReply, SlackWeb

log = logging.getLogger("haven.plugins.slack")

DAY = 86400
EVENT_TTL = DAY  # Slack's last retry comes about 6 minutes after the first delivery
STATE_TTL = 30 * DAY
# How long one run may hold the right to post an alert; a run that dies frees it after this.
ALERT_LOCK_SECONDS = 60


class SlackPlugin:
    name = "slack"
    protocol_version = 1
    supported_actions = frozenset({"escalate", "flag_for_review", "reply", "notify_author", "remove"})

    def __init__(self, settings: SlackSettings, host: PluginHost, web: SlackWeb | None = None) -> None:
        self.settings = settings
        self.host = host
        self.web = web or SlackWeb(settings.api_base_url)

    # Inbound

    def routes(self) -> Sequence[Any]:
        from haven_slack.routes import slack_routes

        return slack_routes(self)

    def receive_event(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """One Events API delivery (signature already verified); the answer's body."""
        kind = envelope.get("type")
        if kind == "url_verification":
            return {"challenge": str(envelope.get("challenge", ""))}
        if kind != "event_callback" or not isinstance(envelope.get("event"), dict):
            return {"ok": True, "status": "ignored"}
        event_id = str(envelope.get("event_id") or "")
        if event_id and not self.host.kv.add(f"slack:event:{event_id}", "1", ttl_seconds=EVENT_TTL):
            log.info("slack.event.duplicate", extra={"event_id": event_id})
            return {"ok": True, "status": "duplicate"}
        try:
            status = self._judge(envelope)
        except Exception:
            if event_id:
                self.host.kv.delete(f"slack:event:{event_id}")  # let Slack's retry try again
            raise
        log.info("slack.event.handled", extra={"event_id": event_id, "status": status})
        return {"ok": True, "status": status}

    def _judge(self, envelope: dict[str, Any]) -> str:
        event: dict[str, Any] = envelope["event"]
        if event.get("type") != "message" or event.get("channel_type") == "im":
            return "ignored"
        channel = str(event.get("channel") or "")
        community = self.settings.community_for(envelope.get("team_id") or event.get("team"), channel)
        if community is None:
            return "ignored"
        own = {str(a.get("user_id")) for a in envelope.get("authorizations") or [] if a.get("is_bot")}
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            deleted = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            if not deleted:
                return "ignored"
            self.host.cancel_actions(community, PLATFORM, message_id(channel, str(deleted)))
            return "cancelled"
        if subtype == "message_changed":
            message = event.get("message") or {}
            previous = event.get("previous_message") or {}
            if is_from_a_bot(message, own) or message.get("text") == previous.get("text"):
                return "ignored"
            revision = str((message.get("edited") or {}).get("ts") or event.get("event_ts") or message.get("ts"))
        elif subtype in JUDGED_SUBTYPES:
            message, revision = event, "1"
            if is_from_a_bot(message, own):
                return "ignored"
        else:
            return "ignored"
        if not message.get("ts"):
            return "ignored"
        post = post_from_message(
            message, channel=channel, community=community, revision=revision, locale=self._locale(str(message["user"]))
        )
        self.host.ingest([post])
        return "accepted"

    def _locale(self, user: str) -> str | None:
        """The member's Slack locale (e.g. en-GB), so crisis lines are those of their region."""
        key = f"slack:locale:{user}"
        cached = self.host.kv.get(key)
        if cached is not None:
            return cached or None
        reply = self.web.call(
            "users.info", self.settings.bot_token, {"user": user, "include_locale": "true"}, form=True
        )
        if not reply.ok:
            return None
        locale = str((reply.data.get("user") or {}).get("locale") or "")
        self.host.kv.set(key, locale, ttl_seconds=DAY)
        return locale or None

    def receive_interaction(self, payload: dict[str, Any]) -> None:
        """A moderator clicked Uphold, Overturn, Remove (and confirmed) or Acknowledge on an alert."""
        if payload.get("type") != "block_actions":
            return
        user = str((payload.get("user") or {}).get("id") or "")
        for action in payload.get("actions") or []:
            action_id = str(action.get("action_id"))
            choice = alerts.CHOICES.get(action_id)
            target = alerts.parse_button_value(str(action.get("value") or ""))
            if target is None or not user:
                continue
            community, decision_id = target
            if action_id == alerts.ACKNOWLEDGE:
                self._acknowledge(community, decision_id, user)
                continue
            if choice is None:
                continue
            self.host.kv.set(
                f"slack:choice:{decision_id}", json.dumps({"choice": choice, "user": user}), ttl_seconds=DAY
            )
            recorded = self.host.record_review(
                community,
                decision_id,
                outcome="overturned" if choice == "overturned" else "upheld",
                moderator=f"slack:{user}",
                note=f"{choice} from the Slack alert",
            )
            log.info("slack.interaction", extra={"decision_id": decision_id, "choice": choice, "recorded": recorded})

    def _acknowledge(self, community: str, decision_id: str, user: str) -> None:
        """Record the acknowledgement as this Slack user's, and show it on the alert at once."""
        moderator = f"slack:{user}"
        acknowledged = self.host.acknowledge(community, decision_id, moderator=moderator)
        log.info("slack.acknowledged", extra={"decision_id": decision_id, "recorded": acknowledged})
        decision = self.host.decision(community, decision_id) if acknowledged else None
        if decision is not None:
            # Haven also tells this plugin (escalation_acknowledged): whichever comes first shows it.
            self._show_acknowledged(decision, moderator, datetime.now(UTC))

    def escalation_acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        """Acknowledged anywhere (the API, the console, another platform, this alert's button):
        the alert says by whom and loses its Acknowledge button."""
        self._show_acknowledged(decision, moderator, acknowledged_at)

    def _show_acknowledged(self, decision: Decision, moderator: str, at: datetime) -> None:
        shown = self._update_acknowledged(decision, moderator, at)
        log.info("slack.acknowledged_shown", extra={"decision_id": decision.id, "status": shown})

    def _update_acknowledged(self, decision: Decision, moderator: str, at: datetime) -> str:
        line = alerts.acknowledged_line(moderator, at)
        # The first acknowledgement counts (as in Haven's record): a second one, or this shown
        # both from the button and from Haven's notice, changes nothing.
        key = f"slack:ack:{decision.id}"
        if not self.host.kv.add(key, line, ttl_seconds=STATE_TTL):
            return "already"
        shown = self._update_alert(decision, permalink=self._alert_permalink(decision))
        if shown is None:
            return "no alert yet"  # the alert, once posted, says it (`_alert`)
        if not shown:
            # Not shown: let a run again (the task's, or the other path's) try.
            self.host.kv.delete(key)
            return "failed"
        return "updated"

    def _update_alert(self, decision: Decision, *, permalink: str | None) -> bool | None:
        """Show the alert as its state now stands: acknowledged (by whom), decided (by whom,
        what). Both notices render the whole state and look again once sent, so the update
        that reaches Slack last shows both (a review often is the acknowledgement too, and
        its two notices run at once). None when no alert was posted."""
        ref = self.host.kv.get(f"slack:alert:{decision.id}")
        if ref is None:
            return None
        channel, ts = split_message_id(ref)
        alert = self._alert_of(decision)
        state = self._alert_state(decision)
        while True:
            acknowledged, decided = state
            blocks = alerts.alert_blocks(alert, decision, permalink=permalink, acknowledged=acknowledged)
            reply = self.web.call(
                "chat.update",
                self.settings.bot_token,
                {
                    "channel": channel,
                    "ts": ts,
                    "text": f"{alerts.alert_text(alert)}: {decided or 'acknowledged'}",
                    "blocks": alerts.decided_blocks(blocks, decided) if decided else blocks,
                },
            )
            if not reply.ok:
                return False
            # The other notice may have changed the state after this one read it, and sent
            # its update before this one's arrived, which would then show the older state:
            # so show it again until it holds still (it only grows: two rounds at most).
            now = self._alert_state(decision)
            if now == state:
                return True
            state = now

    def _alert_state(self, decision: Decision) -> tuple[str | None, str | None]:
        """Who acknowledged the alert, and how it was decided: what its update shows."""
        return self.host.kv.get(f"slack:ack:{decision.id}"), self.host.kv.get(f"slack:decided:{decision.id}")

    def _alert_of(self, decision: Decision) -> Alert:
        return self.host.alert(decision, locale=self._locale(decision.post.author_id))

    def _alert_permalink(self, decision: Decision) -> str | None:
        channel, ts = split_message_id(decision.post.external_id)
        return self._permalink(channel, ts)

    # Outbound

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        if action.kind in ("escalate", "flag_for_review"):
            # One alert serves both kinds, and whichever runs first posts it: it is urgent
            # whenever the decision escalates, so a review flag cannot post it as routine.
            return self._alert(decision)
        if action.kind == "remove":
            return self._remove(decision)
        if action.kind == "reply" and not action.params.get("private"):
            return self._reply_in_thread(decision, action)
        if action.kind in ("reply", "notify_author"):
            return self._ephemeral(decision, action)
        return ActionResult("unsupported", detail=f"slack cannot {action.kind}")

    def _thread_ts(self, decision: Decision) -> str:
        source = decision.post.thread_id or decision.post.external_id
        return split_message_id(source)[1]

    def _alert(self, decision: Decision) -> ActionResult:
        existing = self.host.kv.get(f"slack:alert:{decision.id}")
        if existing is not None:
            return ActionResult("done", detail="alert already posted", platform_ref=existing)
        if not self.host.kv.add(f"slack:alerting:{decision.id}", "1", ttl_seconds=ALERT_LOCK_SECONDS):
            # Another run is posting it right now. It may yet fail or die, so come back and look
            # rather than call this done: a crisis alert must never be lost to a race.
            return ActionResult(
                "failed", detail="another run is posting the alert", retryable=True, retry_after_seconds=10.0
            )
        alert = self._alert_of(decision)
        reply = self.web.call(
            "chat.postMessage",
            self.settings.bot_token,
            {
                "channel": self.settings.moderator_channel,
                "text": alerts.alert_text(alert),
                # Acknowledged (through the API) before the alert went out: it says so from the start.
                "blocks": alerts.alert_blocks(
                    alert,
                    decision,
                    permalink=self._alert_permalink(decision),
                    acknowledged=self.host.kv.get(f"slack:ack:{decision.id}"),
                ),
            },
        )
        if not reply.ok:
            self.host.kv.delete(f"slack:alerting:{decision.id}")
            return _failed(reply)
        ref = f"{reply.data.get('channel') or self.settings.moderator_channel}:{reply.data.get('ts')}"
        self.host.kv.set(f"slack:alert:{decision.id}", ref, ttl_seconds=STATE_TTL)
        return ActionResult("done", platform_ref=ref)

    def _permalink(self, channel: str, ts: str) -> str | None:
        reply = self.web.call(
            "chat.getPermalink", self.settings.bot_token, {"channel": channel, "message_ts": ts}, form=True
        )
        return str(reply.data.get("permalink")) if reply.ok and reply.data.get("permalink") else None

    def _ephemeral(self, decision: Decision, action: Action) -> ActionResult:
        text = str(action.params.get("text") or "")
        if not text:
            return ActionResult("failed", detail=f"{action.kind} has no rendered text")
        channel, _ = split_message_id(decision.post.external_id)
        payload: dict[str, Any] = {"channel": channel, "user": decision.post.author_id, "text": text}
        if decision.post.thread_id:
            payload["thread_ts"] = self._thread_ts(decision)
        sent = self._sent(decision, action)
        if sent is not None:
            return sent
        reply = self.web.call("chat.postEphemeral", self.settings.bot_token, payload)
        if not reply.ok:
            return _failed(reply)
        return self._mark_sent(decision, action, f"{channel}:{reply.data.get('message_ts')}")

    def _reply_in_thread(self, decision: Decision, action: Action) -> ActionResult:
        text = str(action.params.get("text") or "")
        if not text:
            return ActionResult("failed", detail="reply has no rendered text")
        channel, _ = split_message_id(decision.post.external_id)
        sent = self._sent(decision, action)
        if sent is not None:
            return sent
        reply = self.web.call(
            "chat.postMessage",
            self.settings.bot_token,
            {"channel": channel, "text": text, "thread_ts": self._thread_ts(decision)},
        )
        if not reply.ok:
            return _failed(reply)
        ref = f"{reply.data.get('channel') or channel}:{reply.data.get('ts')}"
        self.host.kv.set(f"slack:reply:{decision.id}", ref, ttl_seconds=STATE_TTL)
        return self._mark_sent(decision, action, ref)

    # A message sent is remembered, so that a task run again (its worker died after the
    # call, before Haven recorded it) does not send it twice.

    def _sent_key(self, decision: Decision, action: Action) -> str:
        return f"slack:sent:{action_key(decision, action)}"

    def _sent(self, decision: Decision, action: Action) -> ActionResult | None:
        ref = self.host.kv.get(self._sent_key(decision, action))
        return None if ref is None else ActionResult("done", detail="already sent", platform_ref=ref)

    def _mark_sent(self, decision: Decision, action: Action, ref: str) -> ActionResult:
        self.host.kv.set(self._sent_key(decision, action), ref, ttl_seconds=STATE_TTL)
        return ActionResult("done", platform_ref=ref)

    def _remove(self, decision: Decision) -> ActionResult:
        channel, ts = split_message_id(decision.post.external_id)
        if self.settings.admin_user_token is None:
            link = self._permalink(channel, ts) or f"<#{channel}> message {ts}"
            asked = self.web.call(
                "chat.postMessage",
                self.settings.bot_token,
                {
                    "channel": self.settings.moderator_channel,
                    "text": f"Haven cannot delete members' messages here (no admin token): please remove {link} "
                    f"by hand. Decision `{decision.id}`.",
                },
            )
            if not asked.ok:
                return _failed(asked)
            return ActionResult("skipped", detail="no admin user token; moderators asked to remove by hand")
        reply = self.web.call("chat.delete", self.settings.admin_user_token, {"channel": channel, "ts": ts})
        if not reply.ok and reply.error != "message_not_found":
            return _failed(reply)
        return ActionResult("done", platform_ref=f"{channel}:{ts}")

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        raw = self.host.kv.get(f"slack:choice:{decision.id}")
        choice = json.loads(raw) if raw else {}
        self.host.kv.delete(f"slack:choice:{decision.id}")
        who = f"<@{choice['user']}>" if choice.get("user") else moderator
        if choice.get("choice") == "removed":
            removed = self._remove(decision)
            summary = f"Removed by {who}" if removed.status == "done" else f"{who} asked for removal: {removed.detail}"
        elif outcome == "overturned":
            self._undo(decision)
            summary = f"Overturned by {who}"
        else:
            summary = f"Upheld by {who}"
        self.host.kv.set(f"slack:decided:{decision.id}", summary, ttl_seconds=STATE_TTL)
        self._update_alert(decision, permalink=None)

    def _undo(self, decision: Decision) -> None:
        """An overturned decision: stop what has not happened, take back the bot's public reply."""
        self.host.cancel_actions(decision.post.community, PLATFORM, decision.post.external_id)
        reply = self.host.kv.get(f"slack:reply:{decision.id}")
        if reply is not None:
            channel, ts = split_message_id(reply)
            done = self.web.call("chat.delete", self.settings.bot_token, {"channel": channel, "ts": ts})
            if done.ok or done.error == "message_not_found":
                self.host.kv.delete(f"slack:reply:{decision.id}")

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        """Said again in the alert's thread, with the channel told, so it is seen anew."""
        alert = self.host.kv.get(f"slack:alert:{decision.id}")
        payload: dict[str, Any] = {
            "channel": self.settings.moderator_channel,
            "text": alerts.reminder_text(self._alert_of(decision), number, final),
        }
        if alert is not None:
            payload["thread_ts"] = split_message_id(alert)[1]
            payload["reply_broadcast"] = True
        reply = self.web.call("chat.postMessage", self.settings.bot_token, payload)
        log.info("slack.reminder", extra={"decision_id": decision.id, "count": number, "ok": reply.ok})

    def consumers(self) -> Mapping[str, Consumer]:
        return {}

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]:
        return {}

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        check = commands.add_parser("check", help="check the bot token with auth.test")
        check.set_defaults(handler=self._check)

    def _check(self, args: argparse.Namespace) -> int:
        reply = self.web.call("auth.test", self.settings.bot_token, {})
        if not reply.ok:
            print(f"slack: auth.test failed: {reply.error}")
            return 1
        print(f"slack: token works for team {reply.data.get('team_id')} as {reply.data.get('user_id')}")
        return 0

    def close(self) -> None:
        self.web.close()


def _failed(reply: SlackReply) -> ActionResult:
    return ActionResult(
        "failed", detail=reply.error or "slack error", retryable=reply.transient, retry_after_seconds=reply.retry_after
    )
