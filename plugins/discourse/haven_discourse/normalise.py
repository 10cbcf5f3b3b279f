"""Discourse webhook payloads to Haven Posts, from `raw` (never `cooked`).

Quoted text is another member's words: each outermost `[quote]…[/quote]` block
and each run of Markdown `>` blockquote lines becomes a `TextRange` in
`Post.quoted`, so the engine reports hits there as quoted matches and never
judges them as the quoting author's own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from haven.domain import Author, Post, TextRange

PLATFORM = "discourse"
REGULAR_POST_TYPE = 1

_QUOTE_TAG = re.compile(r"\[(/?)quote(?:=[^\]\n]*)?\]", re.IGNORECASE)
_QUOTE_SOURCE = re.compile(r'\[quote="?([^,"\]\n]+)(?:,[^\]\n]*)?"?\]', re.IGNORECASE)
# CommonMark: a blockquote marker after at most three spaces (four make an indented code block).
_BLOCKQUOTE_LINE = re.compile(r"^ {0,3}>")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def quoted_ranges(raw: str) -> list[TextRange]:
    """Every quoted part of `raw`: [quote] blocks and `>` blockquotes, overlaps merged, in order."""
    spans = sorted((r.start, r.end) for r in quote_tag_ranges(raw) + blockquote_ranges(raw))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [TextRange(field="body", start=start, end=end) for start, end in merged]


def blockquote_ranges(raw: str) -> list[TextRange]:
    """Runs of Markdown `>` lines, each from its first `>` to the end of its last line.

    A line without `>` right after a quote is the author's own, although Markdown renders it
    inside the quote (a "lazy continuation"): people forget the blank line, and a crisis judged
    as someone else's words would go unanswered. Lines inside fenced code blocks quote nothing.
    """
    ranges: list[TextRange] = []
    offset = 0
    fence: str | None = None
    start: int | None = None
    end = 0
    for line in raw.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        opening = _FENCE.match(content)
        quoted = False
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
        elif opening:
            fence = opening.group(1)
        else:
            quoted = bool(_BLOCKQUOTE_LINE.match(content))
        if quoted:
            start = offset if start is None else start
            end = offset + len(content)
        elif start is not None:
            ranges.append(TextRange(field="body", start=start, end=end))
            start = None
        offset += len(line)
    if start is not None:
        ranges.append(TextRange(field="body", start=start, end=end))
    return ranges


def quote_tag_ranges(raw: str) -> list[TextRange]:
    """The outermost balanced [quote] blocks in `raw`, tags included; unbalanced tags quote nothing."""
    ranges: list[TextRange] = []
    stack: list[int] = []
    for tag in _QUOTE_TAG.finditer(raw):
        if not tag.group(1):
            stack.append(tag.start())
        elif stack:
            start = stack.pop()
            if not stack:
                ranges.append(TextRange(field="body", start=start, end=tag.end()))
    return ranges


def quoted_usernames(raw: str) -> list[str]:
    """Whom a post quotes (`[quote="bob, post:3, topic:7"]` → bob), in order, once each."""
    names: list[str] = []
    for found in _QUOTE_SOURCE.finditer(raw):
        name = found.group(1).strip()
        if name and name not in names:
            names.append(name)
    return names


def revision(version: object, raw: str) -> str:
    """Post version plus a digest of raw: a retry repeats both; an edit in the grace period
    (which keeps the version) changes the digest, so it is judged again."""
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{version if version is not None else 1}.{digest}"


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class PostContext:
    """What the actions need about a post that the Decision does not carry."""

    post_id: int | None
    topic_id: int | None
    post_number: int | None
    user_id: int | None
    username: str | None
    quoted_users: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id, "topic_id": self.topic_id, "post_number": self.post_number,
            "user_id": self.user_id, "username": self.username, "quoted_users": list(self.quoted_users),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PostContext:
        return cls(
            post_id=_int(data.get("post_id")), topic_id=_int(data.get("topic_id")),
            post_number=_int(data.get("post_number")), user_id=_int(data.get("user_id")),
            username=data.get("username") if isinstance(data.get("username"), str) else None,
            quoted_users=tuple(str(u) for u in data.get("quoted_users") or ()),
        )  # fmt: skip


def _creator(data: dict[str, Any]) -> dict[str, Any]:
    found = data.get("created_by")
    return found if isinstance(found, dict) else {}


def topic_external_id(topic_id: object) -> str:
    return f"topic-{topic_id}"


def post_from_payload(data: dict[str, Any], *, community: str, base_url: str, locale: str | None = None) -> Post:
    """A `post` object of a post_created / post_edited payload as a Haven Post.

    The opening post of a topic (post_number 1) is a `post`, replies are `comment`s. Neither
    carries the topic's title: topic_created judges that on its own.
    """
    raw = str(data.get("raw") or "")
    post_number = _int(data.get("post_number"))
    opening = post_number == 1
    topic_id = data.get("topic_id")
    slug = data.get("topic_slug") or "-"
    url = f"{base_url}/t/{slug}/{topic_id}/{post_number}" if topic_id is not None and post_number else None
    reply_to = _int(data.get("reply_to_post_number"))
    return Post(
        platform=PLATFORM,
        community=community,
        external_id=str(data["id"]),
        revision=revision(data.get("version"), raw),
        kind="post" if opening else "comment",
        author=Author(
            id=str(data.get("user_id") if data.get("user_id") is not None else data.get("username") or ""),
            name=data.get("username") if isinstance(data.get("username"), str) else None,
            trust_level=_int(data.get("trust_level")),
            is_moderator=bool(data.get("moderator")) or bool(data.get("admin")),
            is_staff=bool(data.get("staff")) or bool(data.get("admin")),
        ),
        title="",
        body=raw,
        thread_id=str(topic_id) if topic_id is not None else None,
        parent_id=f"{topic_id}#{reply_to}" if reply_to and topic_id is not None else None,
        url=url,
        created_at=_time(data.get("created_at")),
        locale=locale,
        quoted=quoted_ranges(raw),
    )


def post_context(data: dict[str, Any]) -> PostContext:
    return PostContext(
        post_id=_int(data.get("id")),
        topic_id=_int(data.get("topic_id")),
        post_number=_int(data.get("post_number")),
        user_id=_int(data.get("user_id")),
        username=data.get("username") if isinstance(data.get("username"), str) else None,
        quoted_users=tuple(quoted_usernames(str(data.get("raw") or ""))),
    )


def topic_from_payload(data: dict[str, Any], *, community: str, base_url: str, locale: str | None = None) -> Post:
    """A `topic` object of a topic_created payload: its title, judged on its own.

    The topic payload carries no raw; the opening post arrives as its own post_created
    and is judged there, so the title is not judged twice with it.
    """
    creator = _creator(data)
    user_id = creator.get("id", data.get("user_id"))
    title = str(data.get("title") or "")
    topic_id = data.get("id")
    return Post(
        platform=PLATFORM,
        community=community,
        external_id=topic_external_id(topic_id),
        revision=revision(1, title),
        kind="post",
        author=Author(
            id=str(user_id if user_id is not None else creator.get("username") or ""),
            name=creator.get("username") if isinstance(creator.get("username"), str) else None,
        ),
        title=title,
        thread_id=str(topic_id),
        url=f"{base_url}/t/{data.get('slug') or '-'}/{topic_id}",
        created_at=_time(data.get("created_at")),
        locale=locale,
    )


def topic_context(data: dict[str, Any]) -> PostContext:
    creator = _creator(data)
    username = creator.get("username")
    return PostContext(
        post_id=None,
        topic_id=_int(data.get("id")),
        post_number=None,
        user_id=_int(creator.get("id", data.get("user_id"))),
        username=username if isinstance(username, str) else None,
    )
