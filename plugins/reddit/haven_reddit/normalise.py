"""Reddit things (t1 comments, t3 links) to Haven Posts.

Deleted and removed items are skipped (None): there is nothing left to judge,
and acting on them would only add noise. Markdown quote blocks ('>' lines and
their lazy continuation lines) become `Post.quoted` ranges, so the engine does
not judge a member for words they are quoting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from haven.domain import Author, Post, TextRange

PLATFORM = "reddit"
WEB_URL = "https://www.reddit.com"
GONE = {"[deleted]", "[removed]"}
_QUOTE_LINE = re.compile(r"^ {0,3}>")
_PERMALINK_SUB = re.compile(r"^/r/([A-Za-z0-9_]+)/")


def quoted_ranges(text: str) -> list[TextRange]:
    """Half-open ranges of `text` that are Markdown block quotes."""
    ranges: list[TextRange] = []
    offset = 0
    start: int | None = None
    end = 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        blank = not content.strip()
        if _QUOTE_LINE.match(content):
            if start is None:
                start = offset
            end = offset + len(content)
        elif start is not None and not blank:
            end = offset + len(content)  # a lazy continuation line belongs to the quote
        elif start is not None:
            ranges.append(TextRange("body", start, end))
            start = None
        offset += len(line)
    if start is not None:
        ranges.append(TextRange("body", start, end))
    return ranges


def subreddit_of_permalink(permalink: str | None) -> str | None:
    if not permalink:
        return None
    path = permalink.removeprefix(WEB_URL)
    match = _PERMALINK_SUB.match(path)
    return match.group(1) if match else None


def _revision(edited: Any) -> str:
    if isinstance(edited, (int, float)) and not isinstance(edited, bool) and edited > 0:
        return str(int(edited))
    return "1"


def is_gone(data: Mapping[str, Any]) -> bool:
    """Deleted by its author or removed by moderators, admins or spam filters."""
    if data.get("author") in GONE:
        return True
    text = data.get("body") if "body" in data else data.get("selftext")
    if isinstance(text, str) and text.strip() in GONE:
        return True
    if data.get("removed") is True or data.get("spam") is True:
        return True
    # An item AutoModerator filtered into the modqueue has banned_by set but removed False: still to judge.
    category = data.get("removed_by_category")
    return bool(category) and category != "automod_filtered"


def normalise(
    thing: Mapping[str, Any],
    community_of: Callable[[str], str | None],
    *,
    own_username: str | None = None,
    locale: str | None = None,
) -> Post | None:
    """The Post for a listing child {"kind": "t1"|"t3", "data": {...}}, or None when it is not ours to judge."""
    kind = thing.get("kind")
    data = thing.get("data")
    if kind not in ("t1", "t3") or not isinstance(data, Mapping):
        return None
    if is_gone(data):
        return None
    author = data.get("author")
    if not isinstance(author, str) or not author:
        return None
    if own_username is not None and author.lower() == own_username.lower():
        return None  # our own replies
    subreddit = str(data.get("subreddit") or "")
    community = community_of(subreddit)
    if community is None:
        return None
    name = str(data.get("name") or f"{kind}_{data.get('id')}")
    created = data.get("created_utc")
    created_at = datetime.fromtimestamp(float(created), tz=UTC) if isinstance(created, (int, float)) else None
    permalink = data.get("permalink")
    url = f"{WEB_URL}{permalink}" if isinstance(permalink, str) and permalink.startswith("/") else None
    # Reddit usernames never change, and moderator mail is addressed by name: the name is the author's id.
    person = Author(id=author, name=author, is_moderator=data.get("distinguished") == "moderator")
    if kind == "t1":
        title, body = "", str(data.get("body") or "")
        thread_id, parent_id = str(data.get("link_id") or "") or None, str(data.get("parent_id") or "") or None
    else:
        title, body = str(data.get("title") or ""), str(data.get("selftext") or "")
        if not body and not data.get("is_self", True) and isinstance(data.get("url"), str):
            body = data["url"]  # a link post: its link is what there is to judge
        thread_id, parent_id = name, None
    return Post(
        platform=PLATFORM,
        community=community,
        external_id=name,
        revision=_revision(data.get("edited")),
        kind="comment" if kind == "t1" else "post",
        author=person,
        title=title,
        body=body,
        thread_id=thread_id,
        parent_id=parent_id,
        url=url,
        created_at=created_at,
        locale=locale,
        quoted=quoted_ranges(body),
    )
