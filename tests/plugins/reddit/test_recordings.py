"""The project's recorded Reddit exchanges: what recordings/write.py writes, in the documented shapes."""

from __future__ import annotations

import json

from tests.plugins.reddit.recordings.write import render
from tests.plugins.reddit.replay import CASSETTES, RECORDINGS, load_recordings

# Item fields the contract sheet lists for t1 and t3 (section 1, "Item fields").
T1_FIELDS = {"name", "id", "author", "author_fullname", "body", "body_html", "link_id", "parent_id", "permalink"}
T1_FIELDS |= {"link_permalink", "link_title", "subreddit", "subreddit_id", "subreddit_name_prefixed", "created_utc"}
T1_FIELDS |= {"edited", "is_submitter", "distinguished", "stickied", "replies"}
T3_FIELDS = {"name", "id", "author", "author_fullname", "title", "selftext", "url", "is_self", "subreddit"}
T3_FIELDS |= {"subreddit_id", "subreddit_name_prefixed", "created_utc", "permalink", "locked", "over_18"}
T3_FIELDS |= {"distinguished", "edited", "num_reports", "mod_reports", "user_reports", "banned_by", "approved_by"}
T3_FIELDS |= {"removal_reason", "removed_by_category", "link_flair_text"}
MODERATOR_ONLY = {"removed", "approved", "spam", "banned_at_utc", "approved_at_utc", "ignore_reports"}


def test_recordings_are_what_write_py_writes() -> None:
    written = render()
    assert set(written) == set(CASSETTES) == {p.name for p in RECORDINGS.glob("*.json")}
    for name, content in written.items():
        assert (RECORDINGS / name).read_text(encoding="utf-8") == content, f"rerun recordings/write.py ({name})"


def test_items_carry_the_documented_fields() -> None:
    listings = [json.loads(r.body) for r in load_recordings() if r.name.startswith("listing_") and r.method == "GET"]
    children = [child for listing in listings for child in listing["data"]["children"]]
    assert {child["kind"] for child in children} == {"t1", "t3"}
    for listing in listings:
        assert set(listing["data"]) == {"after", "before", "dist", "modhash", "geo_filter", "children"}
    for child in children:
        data = child["data"]
        assert set(data) >= T1_FIELDS if child["kind"] == "t1" else set(data) >= T3_FIELDS
        assert data["name"] == f"{child['kind']}_{data['id']}"
        assert data["id"] in data["permalink"]
    queued = [json.loads(r.body) for r in load_recordings() if r.path.endswith("/about/modqueue/")]
    assert all(set(c["data"]) >= MODERATOR_ONLY for c in queued[0]["data"]["children"])


def test_every_moderation_call_is_a_form_post_with_api_type_and_rate_limit_headers() -> None:
    posts = [r for r in load_recordings() if r.host == "api" and r.method == "POST"]
    assert {r.path for r in posts} == {
        "/api/remove/",
        "/api/approve/",
        "/api/report/",
        "/api/comment/",
        "/api/distinguish/",
        "/api/lock/",
        "/api/mod/conversations/",
        "/api/mod/conversations/{id}",
    }
    for exchange in posts:
        assert exchange.query == {"raw_json": "1"}
        assert exchange.form["api_type"] == "json"
        used, remaining = float(exchange.headers["x-ratelimit-used"]), float(exchange.headers["x-ratelimit-remaining"])
        assert used + remaining == 1000
        assert 0 < float(exchange.headers["x-ratelimit-reset"]) <= 600
