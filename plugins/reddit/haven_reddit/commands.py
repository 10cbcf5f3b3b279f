"""Moderators act on Haven's alerts by replying in the alert's modmail conversation with
the commands of haven.moderation.commands (`!haven ack`, `!haven uphold [note]`,
`!haven overturn [note]`; overturning approves a post Haven removed).

Each pass lists the subreddit's modmail (`GET /api/mod/conversations/`), opens only the
conversations Haven started for an alert that changed since the last pass, and reads their
messages oldest first. Haven's own messages and messages that are not commands are passed
over; a command from someone who is not a moderator of the subreddit (checked against
`/r/{sub}/about/moderators/` at that moment, not a cache) is refused, saying why. Every
command is answered in the conversation. A message is handled once: its id is marked in the
plugin's key-value store before it is acted on (and unmarked if acting failed, to retry).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from haven.moderation.commands import Command, carry_out, parse_command
from haven.plugins.protocol import KeyValue, PluginHost

from haven_reddit.client import RedditClient, RedditError
from haven_reddit.ratelimit import RateLimited
from haven_reddit.settings import RedditSettings

log = logging.getLogger("haven.plugins.reddit")

STATE_TTL = 90 * 24 * 3600
MESSAGE_TTL = 90 * 24 * 3600
PAGE = 25
MAX_WAIT = 30.0
# Reviewing is what a moderator with the posts permission does on Reddit itself (approve,
# remove); acknowledging only says "I have seen it", which any moderator who reads modmail may.
REVIEW_PERMISSIONS = frozenset({"all", "posts"})


def alert_conversation_key(conversation_id: str) -> str:
    return f"reddit:alert-conversation:{conversation_id}"


@dataclass(frozen=True)
class AlertConversation:
    decision_id: str
    community: str
    subreddit: str


def active_key(subreddit: str) -> str:
    return f"reddit:modmail-active:{subreddit.lower()}"


def remember_alert(kv: KeyValue, conversation_id: str, alert: AlertConversation) -> None:
    """Called when Haven opens an alert's conversation: its replies are read from now on."""
    value = {"decision_id": alert.decision_id, "community": alert.community, "subreddit": alert.subreddit}
    kv.set(alert_conversation_key(conversation_id), json.dumps(value), ttl_seconds=STATE_TTL)
    # A subreddit where Haven never alerted costs no modmail request per pass.
    kv.set(active_key(alert.subreddit), "1", ttl_seconds=STATE_TTL)


@dataclass
class CommandsReport:
    requests: int = 0
    handled: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)


class ModmailCommands:
    def __init__(self, client: RedditClient, host: PluginHost, settings: RedditSettings) -> None:
        self.client = client
        self.host = host
        self.settings = settings

    def poll_once(self) -> CommandsReport:
        report = CommandsReport()
        lock = "reddit:lock:modmail"
        if not self.host.kv.add(lock, "1", ttl_seconds=self.settings.poll_lock_seconds):
            return report  # another poller is reading modmail right now
        try:
            for subreddit in self.settings.subreddits:
                if self.host.kv.get(active_key(subreddit)) is None:
                    continue
                try:
                    self._poll(subreddit, report)
                except RateLimited as exc:
                    report.errors.append(f"{subreddit}/modmail: rate limited for {exc.wait_seconds:.0f}s")
                    return report
                except (RedditError, ValueError) as exc:
                    report.errors.append(f"{subreddit}/modmail: {type(exc).__name__}")
                    log.warning(
                        "reddit.modmail_failed", extra={"subreddit": subreddit, "status": getattr(exc, "status", None)}
                    )
        finally:
            self.host.kv.delete(lock)
        return report

    # ------------------------------------------------------------------ reading
    def _get(self, path: str, params: Mapping[str, str], report: CommandsReport) -> Any:
        report.requests += 1
        return self.client.get(path, params, max_wait=MAX_WAIT)

    def _poll(self, subreddit: str, report: CommandsReport) -> None:
        listing = self._get(
            "/api/mod/conversations/",
            {"entity": subreddit, "state": "all", "sort": "recent", "limit": str(PAGE)},
            report,
        )
        conversations = listing.get("conversations") if isinstance(listing, dict) else None
        if not isinstance(conversations, dict):
            return
        moderators: dict[str, frozenset[str]] | None = None
        for conversation_id, summary in conversations.items():
            raw = self.host.kv.get(alert_conversation_key(str(conversation_id)))
            if raw is None or not isinstance(summary, dict):
                continue  # not an alert Haven opened
            updated = str(summary.get("lastUpdated") or "")
            seen_key = f"reddit:modmail-read:{conversation_id}"
            if updated and self.host.kv.get(seen_key) == updated:
                continue  # nothing new since the last pass
            alert = AlertConversation(**json.loads(raw))
            full = self._get(f"/api/mod/conversations/{conversation_id}", {}, report)
            read = {str(m.get("id")) for m in _messages_oldest_first(full)}
            latest: Any = None
            for message in _messages_oldest_first(full):
                command = self._command_of(message)
                if command is None:
                    continue
                if moderators is None:
                    moderators = self._moderators(subreddit, report)
                latest = self._handle(str(conversation_id), alert, message, command, moderators, report) or latest
            if latest is not None and self._only_ours_since(latest, read):
                # Haven's answers moved the conversation on: that is no reason to open it again.
                updated = str(latest["conversation"].get("lastUpdated") or updated)
            if updated:
                self.host.kv.set(seen_key, updated, ttl_seconds=STATE_TTL)

    def _only_ours_since(self, conversation: Any, read: set[str]) -> bool:
        """Every message of `conversation` (as Haven's answer returned it) was read or is Haven's."""
        if not isinstance(conversation, dict) or not isinstance(conversation.get("conversation"), dict):
            return False
        for message in _messages_oldest_first(conversation):
            author = message.get("author") if isinstance(message.get("author"), dict) else {}
            name = str((author or {}).get("name") or "").lower()
            if str(message.get("id")) not in read and name != self.settings.username.lower():
                return False
        return True

    def _command_of(self, message: Mapping[str, Any]) -> Command | None:
        author = message.get("author") if isinstance(message.get("author"), dict) else {}
        name = str((author or {}).get("name") or "")
        if not name or name.lower() == self.settings.username.lower():
            return None  # Haven's own alert, reminders and answers
        return parse_command(str(message.get("bodyMarkdown") or ""))

    def _moderators(self, subreddit: str, report: CommandsReport) -> dict[str, frozenset[str]]:
        """Who moderates the subreddit now, with their permissions (lower-cased names)."""
        answer = self._get(f"/r/{subreddit}/about/moderators/", {}, report)
        data = answer.get("data") if isinstance(answer, dict) else None
        children = data.get("children") if isinstance(data, dict) else None
        return {
            str(child["name"]).lower(): frozenset(str(p) for p in child.get("mod_permissions") or [])
            for child in children or []
            if isinstance(child, dict) and child.get("name")
        }

    # ------------------------------------------------------------------ acting
    def _handle(
        self,
        conversation_id: str,
        alert: AlertConversation,
        message: Mapping[str, Any],
        command: Command,
        moderators: Mapping[str, frozenset[str]],
        report: CommandsReport,
    ) -> Any:
        """Act on one command and answer it; returns the conversation as the answer left it."""
        message_id = str(message.get("id") or "")
        if not message_id:
            return None
        marker = f"reddit:command:{conversation_id}:{message_id}"
        if not self.host.kv.add(marker, "1", ttl_seconds=MESSAGE_TTL):
            return None  # handled in an earlier pass
        name = str(message["author"]["name"])
        try:
            answer, done = self._act(alert, name, command, moderators.get(name.lower()))
        except Exception:
            self.host.kv.delete(marker)  # nothing was recorded: the next pass tries again
            raise
        replied: Any = None
        try:
            replied = self._reply(conversation_id, answer)
        except (RateLimited, RedditError):
            # Recorded all the same: the answer is lost rather than the command acted on twice.
            log.warning("reddit.modmail_answer_failed", extra={"decision_id": alert.decision_id})
        if done:
            report.handled += 1
        else:
            report.refused += 1
        log.info(
            "reddit.modmail_command",
            extra={"decision_id": alert.decision_id, "choice": command.verb, "recorded": done},
        )
        return replied

    def _act(
        self, alert: AlertConversation, name: str, command: Command, permissions: frozenset[str] | None
    ) -> tuple[str, bool]:
        """What to answer, and whether something was recorded."""
        if permissions is None:
            return (
                f"u/{name}: only moderators of r/{alert.subreddit} can review or acknowledge Haven's alerts. "
                "Nothing was recorded.",
                False,
            )
        return carry_out(
            self.host,
            alert.community,
            alert.decision_id,
            command,
            moderator=f"reddit:{name}",
            shown_as=f"u/{name}",
            source="Reddit modmail",
            may_review=bool(permissions & REVIEW_PERMISSIONS),
            why_not=f"reviewing needs the posts (or full) moderator permission in r/{alert.subreddit}.",
        )

    def _reply(self, conversation_id: str, body: str) -> Any:
        return self.client.post(
            f"/api/mod/conversations/{conversation_id}", {"body": body, "isAuthorHidden": "False"}, max_wait=MAX_WAIT
        )


def _messages_oldest_first(conversation: Any) -> list[Mapping[str, Any]]:
    if not isinstance(conversation, dict):
        return []
    messages = conversation.get("messages")
    if not isinstance(messages, dict):
        return []
    found = [m for m in messages.values() if isinstance(m, dict)]
    return sorted(found, key=lambda m: (str(m.get("date") or ""), str(m.get("id") or "")))
