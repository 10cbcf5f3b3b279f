"""Moderators' commands written on a platform, in reply to Haven's alert:

    !haven ack               I have seen this escalation (the reminders stop)
    !haven uphold [note]     the decision was right
    !haven overturn [note]   it was wrong (the plugin undoes what it can)

Plugins read them where their platform lets a moderator answer an alert (Reddit modmail,
a Discourse message), check who wrote them the platform's way, and hand them to `carry_out`,
so every platform acts on and answers a command alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from haven.moderation.alert import markdown_plain

if TYPE_CHECKING:
    from haven.plugins.protocol import KeyValue, PluginHost

Verb = Literal["acknowledge", "upheld", "overturned"]
VERBS: dict[str, Verb] = {
    "ack": "acknowledge",
    "acknowledge": "acknowledge",
    "uphold": "upheld",
    "overturn": "overturned",
}
NOTE_LIMIT = 500
_COMMAND = re.compile(r"^\s*!haven\s+(\S+)\s*(.*)$", re.IGNORECASE)

HELP = (
    "Reply with one of:\n\n"
    "* `!haven ack`: you have seen it (the reminders stop)\n"
    "* `!haven uphold [note]`: the decision was right\n"
    "* `!haven overturn [note]`: it was wrong (Haven undoes what it can, e.g. restores a post it removed)"
)


@dataclass(frozen=True)
class Command:
    verb: Verb | None  # None: `!haven` with a word Haven does not know
    note: str


def parse_command(body: str) -> Command | None:
    """The command of a message whose first non-empty line starts with `!haven`; None otherwise."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    found = _COMMAND.match(first)
    if found is None:
        return Command(None, "") if first.strip().lower() == "!haven" else None
    return Command(VERBS.get(found.group(1).lower()), found.group(2).strip()[:NOTE_LIMIT])


def carry_out(
    host: PluginHost,
    community: str,
    decision_id: str,
    command: Command,
    *,
    moderator: str,
    shown_as: str,
    source: str,
    may_review: bool = True,
    why_not: str = "",
) -> tuple[str, bool]:
    """Act on a command of a moderator the plugin has checked; the answer to post, and whether
    anything was recorded. `moderator` is what Haven records (`reddit:name`), `shown_as` how the
    answer names them, `source` where the command came from (the review's default note)."""
    if command.verb is None:
        return f"{shown_as}: Haven did not understand that command. {HELP}", False
    if command.verb == "acknowledge":
        if not host.acknowledge(community, decision_id, moderator=moderator):
            return f"{shown_as}: this decision did not escalate (or is gone): there is nothing to acknowledge.", False
        return (
            f"Acknowledged by {shown_as}: the reminders stop. Review it with `!haven uphold` or `!haven overturn`.",
            True,
        )
    if not may_review:
        return f"{shown_as}: {why_not} Nothing was recorded; `!haven ack` still works.", False
    note = command.note or f"from {source}"
    if not host.record_review(community, decision_id, outcome=command.verb, moderator=moderator, note=note):
        return f"{shown_as}: Haven no longer has this decision; nothing was recorded.", False
    if command.verb == "overturned":
        return f"Overturned by {shown_as}. Haven undoes what it can (a post it removed or hid comes back).", True
    return f"Upheld by {shown_as}.", True


# Long enough to outlive any escalation's reminders and a task run again.
SAID_TTL = 30 * 86400


def say_acknowledged(
    kv: KeyValue,
    platform: str,
    decision_id: str,
    moderator: str,
    acknowledged_at: datetime,
    reply: Callable[[str], bool],
) -> bool:
    """Say once, in the conversation of the platform's alert, that someone acknowledged the
    escalation elsewhere (the API, the console, another platform); whether it was said now.

    Nothing when it came from this platform's own alert (`moderator` is `<platform>:name`):
    `carry_out` already answered there. `reply(text)` posts in the alert's conversation and
    says whether it did (False when there is none, or the platform failed: it may be tried again)."""
    if moderator.startswith(f"{platform}:"):
        return False
    key = f"{platform}:acknowledged-said:{decision_id}"
    if not kv.add(key, moderator, ttl_seconds=SAID_TTL):
        return False
    at = acknowledged_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Acknowledged by {markdown_plain(moderator)} at {at}, outside this conversation: the reminders stop. "
        "Review it with `!haven uphold` or `!haven overturn`."
    )
    if reply(text):
        return True
    kv.delete(key)
    return False
