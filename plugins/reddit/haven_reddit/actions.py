"""Haven's neutral actions carried out as a Reddit moderator.

| neutral action            | Reddit                                                        |
|---------------------------|---------------------------------------------------------------|
| remove                    | POST /api/remove/ (spam=True when a matched category is spam) |
| hold                      | POST /api/remove/ spam=False (a review that overturns approves it) |
| flag_for_review           | POST /api/report/ with the rule as reason                     |
| reply                     | POST /api/comment/ then /api/distinguish/ how=yes             |
| reply (private), notify_author | new modmail from the subreddit to the author             |
| escalate                  | new modmail to the bot account, a moderator: an internal moderators' discussion |
| lock                      | POST /api/lock/                                               |
| redact, label, silence    | unsupported                                                   |

Every action may run twice (task retries): what would duplicate on Reddit
(reports, replies, modmail) is recorded in the key-value store once done and
skipped the second time; remove, lock and approve are idempotent there.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from haven.domain import Action, Decision
from haven.moderation.alert import Alert, markdown
from haven.moderation.commands import HELP, say_acknowledged
from haven.plugins.protocol import ActionResult, PluginHost

from haven_reddit.client import RedditClient, RedditError
from haven_reddit.commands import AlertConversation, remember_alert
from haven_reddit.normalise import subreddit_of_permalink
from haven_reddit.ratelimit import RateLimited
from haven_reddit.settings import RedditSettings

log = logging.getLogger("haven.plugins.reddit")

SUPPORTED = frozenset({"remove", "hold", "flag_for_review", "reply", "notify_author", "escalate", "lock"})
DONE_TTL = 30 * 24 * 3600
# A worker should not block long on Reddit's window: past this, the task retries later.
ACTION_MAX_WAIT = 30.0
MODMAIL_BODY_LIMIT = 9000
REPORT_REASON_LIMIT = 100
SUBJECT_LIMIT = 100


def alert_key(decision_id: str) -> str:
    """The modmail conversation id of a decision's moderators' alert."""
    return f"reddit:alert:{decision_id}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_spam(decision: Decision, action: Action) -> bool:
    """Spam when the policy says `spam: true`, or a rule asking for the removal is in a spam category."""
    if action.params.get("spam") is True:
        return True

    def spam(category: str) -> bool:
        return category == "spam" or category.startswith("spam.")

    rules = set(action.rules)
    relevant = [m for m in decision.matches if f"{m.policy}/{m.rule}" in rules] or decision.matches
    return any(spam(m.category) for m in relevant)


class RedditActions:
    def __init__(self, client: RedditClient, host: PluginHost, settings: RedditSettings) -> None:
        self.client = client
        self.host = host
        self.kv = host.kv
        self.settings = settings

    def alert(self, decision: Decision) -> Alert:
        # Reddit tells nothing of a member's region: the configured locale picks the crisis lines.
        return self.host.alert(decision, locale=self.settings.locale)

    # ----------------------------------------------------------------- helpers
    def subreddit(self, decision: Decision) -> str | None:
        sub = subreddit_of_permalink(decision.post.url)
        if sub is not None:
            return sub
        subs = [s for s, c in self.settings.communities.items() if c == decision.post.community]
        return subs[0] if len(subs) == 1 else None

    def _post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data, max_wait=ACTION_MAX_WAIT)

    def _done_key(self, decision: Decision, action: Action) -> str:
        digest = hashlib.sha256(
            json.dumps([action.kind, action.target, action.params], sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        return f"reddit:done:{decision.id}:{action.kind}:{digest}"

    def _modmail(self, subreddit: str, to: str, subject: str, body: str, *, author_hidden: bool) -> str | None:
        response = self._post(
            "/api/mod/conversations/",
            {
                "srName": subreddit,
                "to": to,
                "subject": _clip(subject, SUBJECT_LIMIT),
                "body": _clip(body, MODMAIL_BODY_LIMIT),
                "isAuthorHidden": str(author_hidden),
            },
        )
        conversation = response.get("conversation") if isinstance(response, dict) else None
        return str(conversation["id"]) if isinstance(conversation, dict) and "id" in conversation else None

    # ------------------------------------------------------------------ execute
    def execute(self, decision: Decision, action: Action) -> ActionResult:
        if action.kind not in SUPPORTED:
            return ActionResult("unsupported", f"Reddit cannot {action.kind}")
        if decision.mode == "shadow":
            return ActionResult("skipped", "shadow decision")
        fullname = decision.post.external_id
        if not fullname.startswith(("t1_", "t3_")):
            return ActionResult("failed", "not a Reddit comment or link id")
        done_key = self._done_key(decision, action)
        done = self.kv.get(done_key)
        if done is not None:
            return ActionResult("skipped", "already done", platform_ref=done or None)
        try:
            result = self._carry_out(decision, action, fullname)
        except RateLimited as exc:
            # Reddit's own wait (its window's reset): the task tries again no sooner than that.
            return ActionResult(
                "failed",
                f"rate limited for {exc.wait_seconds:.0f}s",
                retryable=True,
                retry_after_seconds=exc.wait_seconds,
            )
        except RedditError as exc:
            log.warning(
                "reddit.action_failed",
                extra={"decision": decision.id, "action": action.kind, "item": fullname, "status": exc.status},
            )
            return ActionResult("failed", str(exc), retryable=exc.retryable)
        if result.status == "done":
            self.kv.set(done_key, result.platform_ref or "", ttl_seconds=DONE_TTL)
            log.info(
                "reddit.action_done",
                extra={"decision": decision.id, "action": action.kind, "item": fullname, "ref": result.platform_ref},
            )
        return result

    def _carry_out(self, decision: Decision, action: Action, fullname: str) -> ActionResult:
        kind = action.kind
        if kind in ("remove", "hold"):
            spam = kind == "remove" and is_spam(decision, action)
            self._post("/api/remove/", {"id": fullname, "spam": str(spam)})
            self.kv.set(f"reddit:removed:{decision.id}", fullname, ttl_seconds=DONE_TTL)
            return ActionResult("done", "removed as spam" if spam else "removed", platform_ref=fullname)
        if kind == "lock":
            self._post("/api/lock/", {"id": fullname})
            return ActionResult("done", "locked", platform_ref=fullname)
        if kind == "flag_for_review":
            what = decision.conversation_lines or action.rules or [decision.verdict]
            reason = _clip("Haven: " + ", ".join(what), REPORT_REASON_LIMIT)
            self._post("/api/report/", {"id": fullname, "reason": reason})
            return ActionResult("done", "reported", platform_ref=fullname)
        if kind == "reply" and not action.params.get("private"):
            return self._public_reply(decision, action, fullname)
        subreddit = self.subreddit(decision)
        if subreddit is None:
            return ActionResult("failed", "cannot tell the subreddit of this post")
        if kind == "escalate":
            subject, body = escalation_message(self.alert(decision), subreddit)
            ref = self._modmail(subreddit, self.settings.username, subject, body, author_hidden=False)
            if ref is not None:
                self.kv.set(alert_key(decision.id), ref, ttl_seconds=DONE_TTL)
                # Moderators answer in this conversation: the command poller reads its replies.
                remember_alert(self.kv, ref, AlertConversation(decision.id, decision.post.community, subreddit))
            return ActionResult("done", "moderators alerted by modmail", platform_ref=ref)
        # private reply or notify_author: modmail from the subreddit to the author
        text = str(action.params.get("text") or action.params.get("message") or "")
        if not text:
            return ActionResult("failed", "no text to send")
        author = decision.post.author_id
        noun = "comment" if decision.post.kind == "comment" else "post"
        body = f"{text}\n\n---\n\nAbout your {noun}: {decision.post.url or fullname}"
        ref = self._modmail(
            subreddit, author, f"A message from the moderators of r/{subreddit}", body, author_hidden=True
        )
        return ActionResult("done", "modmail sent to the author", platform_ref=ref)

    def _public_reply(self, decision: Decision, action: Action, fullname: str) -> ActionResult:
        text = str(action.params.get("text") or "")
        if not text:
            return ActionResult("failed", "no text to reply with")
        # The reply is kept as soon as Reddit has it: when distinguishing it fails and the task
        # retries, the retry distinguishes that reply instead of posting a second one.
        posted_key = f"reddit:replied:{self._done_key(decision, action)}"
        name = self.kv.get(posted_key)
        if not name:
            response = self._post("/api/comment/", {"thing_id": fullname, "text": text})
            body = response.get("json", {}) if isinstance(response, dict) else {}
            errors = body.get("errors") or []
            if errors:
                codes = ",".join(str(e[0]) for e in errors if isinstance(e, list) and e)
                return ActionResult("failed", f"Reddit refused the reply: {codes}")
            things = (body.get("data") or {}).get("things") or []
            name = things[0]["data"].get("name") if things and isinstance(things[0].get("data"), dict) else None
            if not name:
                return ActionResult("failed", "Reddit did not return the reply")
            self.kv.set(posted_key, str(name), ttl_seconds=DONE_TTL)
        self._post("/api/distinguish/", {"id": str(name), "how": "yes"})
        return ActionResult("done", "replied as a distinguished moderator comment", platform_ref=str(name))

    def remind(self, decision: Decision, number: int, final: bool) -> None:
        """A reply in the alert's modmail conversation, which brings it back to the top of modmail."""
        if final:
            body = f"Nobody has acknowledged this escalation after {number} reminders: the on-call list has been told."
        else:
            body = f"Reminder {number}: nobody has acknowledged this escalation yet. Reply `!haven ack` to stop these."
        self._say_in_alert(decision, body, "reddit.reminder_failed")

    def acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        """Once, in the alert's modmail conversation, unless it was acknowledged from there."""
        said = say_acknowledged(
            self.kv,
            "reddit",
            decision.id,
            moderator,
            acknowledged_at,
            lambda body: self._say_in_alert(decision, body, "reddit.acknowledged_failed"),
        )
        log.info("reddit.acknowledged", extra={"decision": decision.id, "said": said})

    def _say_in_alert(self, decision: Decision, body: str, failed: str) -> bool:
        """A reply in the alert's modmail conversation; False when there is none or Reddit refused."""
        conversation = self.kv.get(alert_key(decision.id))
        if conversation is None:
            return False
        try:
            self._post(f"/api/mod/conversations/{conversation}", {"body": body, "isAuthorHidden": "False"})
        except (RateLimited, RedditError):
            log.warning(failed, extra={"decision": decision.id})
            return False
        return True

    # ------------------------------------------------------------------- review
    def approve_overturned(self, decision: Decision) -> ActionResult:
        fullname = self.kv.get(f"reddit:removed:{decision.id}")
        if not fullname:
            return ActionResult("skipped", "Haven did not remove this item")
        try:
            self._post("/api/approve/", {"id": fullname})
        except (RateLimited, RedditError) as exc:
            log.warning("reddit.approve_failed", extra={"decision": decision.id, "item": fullname})
            return ActionResult("failed", str(exc), retryable=True)
        self.kv.delete(f"reddit:removed:{decision.id}")
        log.info("reddit.approved", extra={"decision": decision.id, "item": fullname})
        return ActionResult("done", "approved", platform_ref=fullname)


def escalation_message(alert: Alert, subreddit: str) -> tuple[str, str]:
    """Subject and body of the moderators' alert: Haven's alert in Markdown, with the commands
    a moderator replies with to act on it from modmail."""
    priority = alert.priority or "normal"
    subject = f"[Haven {priority}] {alert.title}"
    where = f"In r/{subreddit}."
    return subject, f"{where}\n\n{markdown(alert, commands=[HELP], author=f'by u/{alert.author_id}')}"
