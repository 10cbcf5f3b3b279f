"""Webhook deliveries shaped like Discourse's (WebHookPostSerializer, emit_web_hook_event.rb)."""

from __future__ import annotations

import json
from typing import Any

from haven_discourse.signature import sign

SECRET = "my_lovely_secret_for_web_hook"  # Discourse's own fabricator secret
PUBLISHED_PING_SIGNATURE = "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6"


def post_payload(
    post_id: int,
    raw: str,
    *,
    version: int = 1,
    post_number: int = 2,
    topic_id: int = 77,
    category_id: int = 12,
    username: str = "tired_of_pain",
    user_id: int = 4242,
    trust_level: int = 1,
    staff: bool = False,
    moderator: bool = False,
    archetype: str = "regular",
    deleted_at: str | None = None,
    post_type: int = 1,
) -> dict[str, Any]:
    return {
        "post": {
            "id": post_id,
            "name": "",
            "username": username,
            "avatar_template": f"/user_avatar/forum/{username}/{{size}}/2_2.png",
            "created_at": "2024-05-02T19:03:11.209Z",
            "cooked": "<p>(cooked HTML is never read)</p>",
            "post_number": post_number,
            "post_type": post_type,
            "updated_at": "2024-05-02T19:03:11.209Z",
            "reply_count": 0,
            "reply_to_post_number": None,
            "quote_count": 0,
            "incoming_link_count": 0,
            "reads": 0,
            "score": 0,
            "topic_id": topic_id,
            "topic_slug": "does-anyone-else-feel-this-way",
            "topic_title": "Does anyone else feel this way?",
            "category_id": category_id,
            "category_slug": "chronic-pain",
            "display_username": "",
            "primary_group_name": None,
            "flair_name": None,
            "version": version,
            "user_title": None,
            "bookmarked": False,
            "raw": raw,
            "moderator": moderator,
            "admin": False,
            "staff": staff,
            "user_id": user_id,
            "hidden": False,
            "trust_level": trust_level,
            "deleted_at": deleted_at,
            "user_deleted": False,
            "edit_reason": None,
            "wiki": False,
            "reviewable_id": None,
            "reviewable_score_count": 0,
            "reviewable_score_pending_count": 0,
            "topic_posts_count": post_number,
            "topic_filtered_posts_count": post_number,
            "topic_archetype": archetype,
        }
    }


def topic_payload(
    topic_id: int, title: str, *, category_id: int = 12, username: str = "tired_of_pain"
) -> dict[str, Any]:
    return {
        "topic": {
            "id": topic_id,
            "title": title,
            "fancy_title": title,
            "posts_count": 1,
            "created_at": "2024-05-02T19:03:11.120Z",
            "views": 0,
            "reply_count": 0,
            "like_count": 0,
            "last_posted_at": "2024-05-02T19:03:11.209Z",
            "visible": True,
            "closed": False,
            "archived": False,
            "archetype": "regular",
            "slug": "a-topic",
            "category_id": category_id,
            "word_count": 12,
            "deleted_at": None,
            "user_id": 4242,
            "featured_link": None,
            "pinned_globally": False,
            "pinned_at": None,
            "pinned_until": None,
            "unpinned": None,
            "pinned": False,
            "highest_post_number": 1,
            "deleted_by": None,
            "bookmarked": None,
            "participant_count": 1,
            "thumbnails": None,
            "created_by": {"id": 4242, "username": username, "name": "", "avatar_template": "/a.png"},
            "last_poster": {"id": 4242, "username": username, "name": "", "avatar_template": "/a.png"},
            "tags": [],
        }
    }


def delivery(
    payload: dict[str, Any], event: str, *, instance: str, event_id: int = 1, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Discourse sends for `payload` (compact JSON, as Ruby's to_json writes it)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    event_type = "ping" if event == "ping" else event.split("_", 1)[0]
    headers = {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "User-Agent": "Discourse/3.3.0",
        "X-Discourse-Instance": instance,
        "X-Discourse-Event-Id": str(event_id),
        "X-Discourse-Event-Type": event_type,
        "X-Discourse-Event": event,
        "X-Discourse-Event-Signature": sign(secret, body),
    }
    return body, headers
