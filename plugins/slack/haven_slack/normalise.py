"""Slack message events as Haven Posts.

A message's identity is its channel and `ts`: external id `C123:1700000000.000100`.
An edit is a new revision of the same message (the edit's `ts`), so it is judged again.
Slack escapes `&`, `<` and `>` in text; the body is unescaped, and lines quoted with
`>` are marked in `Post.quoted` so that a member quoting someone is not judged for it.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from haven.domain import Author, Post, TextRange

PLATFORM = "slack"
# Message subtypes that are someone's own new words; others (joins, topics, bots) are not judged.
JUDGED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


def message_id(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def split_message_id(external_id: str) -> tuple[str, str]:
    channel, _, ts = external_id.partition(":")
    return channel, ts


def quoted_ranges(body: str) -> list[TextRange]:
    ranges = []
    offset = 0
    for line in body.splitlines(keepends=True):
        if line.startswith(">"):
            ranges.append(TextRange("body", offset, offset + len(line.rstrip("\n"))))
        offset += len(line)
    return ranges


def is_from_a_bot(message: dict[str, Any], own_users: set[str]) -> bool:
    return bool(
        message.get("bot_id")
        or message.get("subtype") == "bot_message"
        or message.get("bot_profile")
        or message.get("user") in own_users
        or not message.get("user")
    )


def post_from_message(
    message: dict[str, Any],
    *,
    channel: str,
    community: str,
    revision: str = "1",
    locale: str | None = None,
) -> Post:
    ts = str(message["ts"])
    thread_ts = message.get("thread_ts")
    reply = bool(thread_ts) and thread_ts != ts
    body = html.unescape(str(message.get("text") or ""))
    return Post(
        platform=PLATFORM,
        community=community,
        external_id=message_id(channel, ts),
        revision=revision,
        kind="comment" if reply else "message",
        author=Author(id=str(message["user"])),
        body=body,
        thread_id=message_id(channel, str(thread_ts)) if thread_ts else None,
        parent_id=message_id(channel, str(thread_ts)) if reply else None,
        created_at=datetime.fromtimestamp(float(ts), UTC),
        locale=locale,
        quoted=quoted_ranges(body),
    )
