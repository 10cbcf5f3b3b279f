"""The moderators' alert in Block Kit: the evidence, the suggested actions, three buttons."""

from __future__ import annotations

from typing import Any

from haven.domain import Decision

UPHOLD, OVERTURN, REMOVE = "haven_uphold", "haven_overturn", "haven_remove"
CHOICES = {UPHOLD: "upheld", OVERTURN: "overturned", REMOVE: "removed"}
MAX_EVIDENCE = 5


def button_value(decision: Decision) -> str:
    return f"{decision.post.community}|{decision.id}"


def parse_button_value(value: str) -> tuple[str, str] | None:
    community, sep, decision_id = value.rpartition("|")
    return (community, decision_id) if sep and community and decision_id else None


def escape(text: str) -> str:
    """A member's words as plain mrkdwn: their `<!channel>` or `<url|label>` must not ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_text(decision: Decision, urgent: bool) -> str:
    what = "Crisis: a member may need help now" if urgent else "A message needs a moderator"
    return f"{what} ({', '.join(decision.categories) or decision.verdict})"


def alert_blocks(decision: Decision, *, urgent: bool, permalink: str | None) -> list[dict[str, Any]]:
    lines = []
    for match in decision.matches:
        for evidence in match.evidence[:MAX_EVIDENCE]:
            lines.append(f"• *{match.category}* ({match.severity}): “{escape(evidence.text)}”")
    # A conversation finding has no words to quote: it says what the thread shows, in ids and counts.
    lines += [f"• *In this thread*: {escape(line)}" for line in decision.conversation_lines]
    where = f"<#{decision.post.external_id.partition(':')[0]}>"
    if permalink:
        where += f" · <{permalink}|open the message>"
    actions = ", ".join(a.kind for a in decision.actions) or "none"
    summary = f"Verdict *{decision.verdict}* · actions: {actions} · decision `{decision.id}`"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": alert_text(decision, urgent)[:150]}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"<@{decision.post.author_id}> in {where}\n" + "\n".join(lines[:MAX_EVIDENCE]),
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": summary}],
        },
        {
            "type": "actions",
            "block_id": f"haven:{decision.id}",
            "elements": [
                _button("Uphold", UPHOLD, decision, "primary"),
                _button("Overturn", OVERTURN, decision, None),
                _button("Remove", REMOVE, decision, "danger"),
            ],
        },
    ]


def _button(label: str, action_id: str, decision: Decision, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": button_value(decision),
    }
    if style:
        button["style"] = style
    return button


def decided_blocks(blocks: list[dict[str, Any]], summary: str) -> list[dict[str, Any]]:
    """The alert once decided: the buttons replaced by who decided what."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]}]


def reminder_text(decision: Decision, number: int, final: bool) -> str:
    if final:
        return (
            f"Nobody has acknowledged this crisis alert after {number} reminders: the on-call list has been told. "
            f"Decision `{decision.id}`."
        )
    return f"Reminder {number}: nobody has acknowledged this crisis alert yet. Decision `{decision.id}`."
