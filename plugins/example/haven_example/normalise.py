"""The platform's event (one JSON object) as Haven's Post."""

from __future__ import annotations

from typing import Any

from haven.domain import Author, Post

PLATFORM = "example"


def post_from_event(event: dict[str, Any], community: str) -> Post | None:
    """A `post` event as a Post; None for any other event (pings, reactions)."""
    if event.get("type") != "post" or not event.get("id") or not event.get("author"):
        return None
    return Post(
        platform=PLATFORM,
        community=community,
        external_id=str(event["id"]),
        # An edit is a new revision: Haven judges it again.
        revision=str(event.get("revision") or "1"),
        author=Author(id=str(event["author"])),
        body=str(event.get("text") or ""),
        thread_id=str(event["thread"]) if event.get("thread") else None,
    )
