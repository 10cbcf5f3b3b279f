"""The moderators' alert in Block Kit: Haven's one alert (haven.moderation.alert) translated,
with the buttons to uphold, overturn, remove (after a confirmation) and acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from haven.domain import Decision
from haven.moderation.alert import Alert, Segment

UPHOLD, OVERTURN, REMOVE, ACKNOWLEDGE = "haven_uphold", "haven_overturn", "haven_remove", "haven_acknowledge"
CHOICES = {UPHOLD: "upheld", OVERTURN: "overturned", REMOVE: "removed"}
# Slack's limit on a section's text; an alert far longer than this is cut, never refused.
SECTION_LIMIT = 3000


def button_value(decision: Decision) -> str:
    return f"{decision.post.community}|{decision.id}"


def parse_button_value(value: str) -> tuple[str, str] | None:
    community, sep, decision_id = value.rpartition("|")
    return (community, decision_id) if sep and community and decision_id else None


def escape(text: str) -> str:
    """A member's words as plain mrkdwn: their `<!channel>` or `<url|label>` must not ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def words(segments: tuple[Segment, ...]) -> str:
    """The evidence with the matched words in bold. Shown in a `verbatim` text object, so Slack
    does not turn a bare URL, #channel or @name in them into a link or a mention either."""
    parts = []
    for segment in segments:
        # Bold needs a space on either side of its asterisks: each piece is set apart by one.
        text = escape(segment.text).strip()
        if text:
            parts.append(f"*{text}*" if segment.marked else text)
    return " ".join(parts)


def _link(url: str, label: str) -> str:
    # A relative link (HAVEN_PUBLIC_URL unset) means nothing in Slack: say where it is instead.
    if url.startswith(("https://", "http://")):
        return f"<{escape(url)}|{label}>"
    return f"{label}: `{escape(url)}`"


def _section(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}
    if verbatim:
        body["verbatim"] = True
    return {"type": "section", "text": body}


def alert_text(alert: Alert) -> str:
    """The notification's text (and the fallback where blocks are not shown)."""
    return alert.title


def alert_blocks(
    alert: Alert, decision: Decision, *, permalink: str | None, acknowledged: str | None = None
) -> list[dict[str, Any]]:
    where = f"<#{decision.post.external_id.partition(':')[0]}>"
    if permalink:
        where += f" · {_link(permalink, 'open the message')}"
    rules = "\n".join(f"• *{escape(r.name)}* (`{escape(r.id)}`, {r.severity})" for r in alert.rules)
    facts = f"<@{alert.author_id}> in {where}\n*Category* {escape(alert.category or alert.verdict)}"
    if alert.severity:
        facts += f" · *severity* {alert.severity}"
    if alert.priority:
        facts += f" · *priority* {alert.priority}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
        _section(facts + ("\n*Rules*\n" + rules if rules else "")),
    ]
    evidence = [f"• {words(e.segments)}" for e in alert.evidence]
    if alert.more_evidence:
        evidence.append(f"• and {alert.more_evidence} more in the console")
    evidence += [f"• *In this thread*: {escape(line)}" for line in alert.thread]
    if alert.quoted:
        evidence.append(f"• *Also quoted* (not the author's own words): {escape(', '.join(alert.quoted))}")
    if evidence:
        blocks.append(_section("*Evidence*\n" + "\n".join(evidence), verbatim=True))
    todo = f"*What to do*: {escape(alert.suggested)}"
    if alert.done:
        todo += "\n" + " ".join(escape(d) for d in alert.done)
    blocks.append(_section(todo))
    if alert.crisis_lines:
        lines = "\n".join(f"• {escape(c.line)}" for c in alert.crisis_lines)
        blocks.append(_section("*Crisis lines to offer*\n" + lines, verbatim=True))
    links = f"{_link(alert.links.console, 'Open in the console')} · decision `{alert.decision_id}`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    if acknowledged:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": acknowledged}]})
    buttons = [
        _button("Uphold", UPHOLD, decision, "primary"),
        _button("Overturn", OVERTURN, decision, None),
        _button("Remove", REMOVE, decision, "danger", confirm=REMOVE_CONFIRM),
    ]
    if alert.urgent and not acknowledged:
        buttons.append(_button("Acknowledge", ACKNOWLEDGE, decision, None))
    blocks.append({"type": "actions", "block_id": f"haven:{decision.id}", "elements": buttons})
    return blocks


REMOVE_CONFIRM = {
    "title": {"type": "plain_text", "text": "Remove this message?"},
    "text": {
        "type": "mrkdwn",
        "text": "Haven deletes the member's message from the channel and records your review as upheld. "
        "A deleted message cannot be brought back.",
    },
    "confirm": {"type": "plain_text", "text": "Remove it"},
    "deny": {"type": "plain_text", "text": "Cancel"},
    "style": "danger",
}


def _button(
    label: str, action_id: str, decision: Decision, style: str | None, *, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": button_value(decision),
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def acknowledged_line(moderator: str, at: datetime) -> str:
    """Who acknowledged (Haven's record of who: a Slack member is mentioned, anyone else named),
    and when, in each reader's own time zone (Slack's date formatting)."""
    slack_user = moderator.removeprefix("slack:") if moderator.startswith("slack:") else None
    who = f"<@{slack_user}>" if slack_user else escape(moderator)
    stamp = int(at.timestamp())
    return f"Acknowledged by {who} <!date^{stamp}^{{date_short_pretty}} at {{time}}|{at.isoformat()}>"


def decided_blocks(blocks: list[dict[str, Any]], summary: str) -> list[dict[str, Any]]:
    """The alert once decided: the buttons replaced by who decided what."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]}]


def reminder_text(alert: Alert, number: int, final: bool) -> str:
    if final:
        return (
            f"Nobody has acknowledged this escalation after {number} reminders: the on-call list has been told. "
            f"Decision `{alert.decision_id}`."
        )
    return (
        f"Reminder {number}: nobody has acknowledged this alert yet ({escape(alert.title)}). "
        f"Press Acknowledge on it once someone is on it. Decision `{alert.decision_id}`."
    )
