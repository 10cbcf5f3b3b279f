"""The poller against the replay servers: cursor in Redis, restarts, catch-up, rate limits, tokens."""

from __future__ import annotations

import json
from typing import Any

from haven.plugins.testing import RecordingHost
from haven_reddit.poller import Stream

from tests.plugins.reddit.conftest import PluginFactory
from tests.plugins.reddit.replay import (
    BASIC,
    REFRESH_TOKEN,
    SUBREDDIT,
    USER_AGENT,
    FakeClock,
    Reddit,
    clone,
    edited_copy,
    recorded_listing,
)

COMMENTS = "listing_comments.json"
COMMENTS_STREAM = Stream(SUBREDDIT, "comments", f"/r/{SUBREDDIT}/comments/", cursor=True)


def names(children: list[dict[str, Any]]) -> list[str]:
    return [c["data"]["name"] for c in children]


def test_replay_fidelity(reddit: Reddit) -> None:
    """Published as they were when recorded, the served pages are the recorded ones: the first
    page, then what arrived after its newest item."""
    first_page = recorded_listing(COMMENTS, 0)["data"]["children"]
    later = recorded_listing(COMMENTS, 1)["data"]["children"]
    feed = reddit.feed("comments")
    feed.publish(len(first_page))
    assert names(feed.page(None, 100)) == names(first_page)
    feed.publish()
    assert names(feed.page(first_page[0]["data"]["name"], 100)) == names(later)


def test_first_pass_ingests_new_and_comments_through_recorded_requests(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    reddit.feed("new").publish()
    reddit.feed("comments").publish()
    plugin = make_plugin()

    report = plugin.poller.poll_once()

    assert report.errors == []
    assert reddit.unmatched == []
    token, *api = reddit.requests
    assert (token.host, token.path, token.form["grant_type"]) == ("auth", "/api/v1/access_token", "password")
    assert token.headers["authorization"] == BASIC
    assert [(r.method, r.path, r.query) for r in api] == [
        ("GET", f"/r/{SUBREDDIT}/new", {"limit": "100", "raw_json": "1"}),
        ("GET", f"/r/{SUBREDDIT}/comments/", {"limit": "100", "raw_json": "1"}),
    ]
    assert all(r.headers["user-agent"] == USER_AGENT for r in reddit.requests)
    kinds = {p.kind for p in host.posts}
    assert kinds == {"post", "comment"}
    assert len(host.posts) == report.ingested == 100 + 100 - report.skipped
    assert {p.community for p in host.posts} == {"peer-support"}
    # oldest first within each listing
    comments = [p for p in host.posts if p.kind == "comment"]
    assert [p.created_at for p in comments] == sorted(p.created_at for p in comments if p.created_at)
    # the cursor is the newest fullname of each listing
    cursor = plugin.poller.cursor(COMMENTS_STREAM)
    assert cursor is not None
    assert cursor[0] == reddit.feed("comments").visible()[0]["data"]["name"]


def test_restart_mid_stream_resumes_from_the_stored_cursor(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    feed = reddit.feed("comments")
    feed.publish(60)
    first = make_plugin()
    first.poller.poll_once()
    cursor = first.poller.cursor(COMMENTS_STREAM)
    first.close()  # the process stops; only Redis remembers

    feed.publish(40)  # the other 40 arrive while it is down
    second = make_plugin()
    second.poller.poll_once()

    assert reddit.unmatched == []
    resumed = [r for r in reddit.api_requests("/comments/") if "before" in r.query]
    assert cursor is not None
    assert resumed[0].query["before"] == cursor[0]
    got = [p.external_id for p in host.posts if p.kind == "comment"]
    expected = list(reversed(names(feed.visible())))
    assert got == expected  # nothing missed, nothing repeated, in order
    assert len(got) == len(set(got))


def test_full_pages_are_followed_until_the_newest_item(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    feed = reddit.feed("comments")
    feed.publish()
    plugin = make_plugin(initial_backlog="0")
    plugin.poller.poll_once()
    assert host.posts == []  # the first pass only places the cursor when no backlog is wanted
    template = feed.visible()[0]
    for serial in range(130):  # more than one page arrives between two passes
        feed.push(clone(template, serial))

    plugin.poller.poll_once()

    befores = [r.query["before"] for r in reddit.api_requests("/comments/") if "before" in r.query]
    assert len(befores) == 2
    assert [p.external_id for p in host.posts] == list(reversed(names(feed.visible()[:130])))
    assert reddit.unmatched == []


def test_catch_up_when_the_cursor_item_disappears(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    feed = reddit.feed("comments")
    feed.publish(50)
    plugin = make_plugin()
    plugin.poller.poll_once()
    cursor = plugin.poller.cursor(COMMENTS_STREAM)
    assert cursor is not None
    feed.delete(cursor[0])  # its author deleted it
    feed.publish(10)
    before = len(host.posts)

    report = plugin.poller.poll_once()

    assert report.catch_ups == 1
    assert reddit.unmatched == []
    new = [p.external_id for p in host.posts[before:]]
    assert new == list(reversed(names(feed.visible()[:10])))
    moved = plugin.poller.cursor(COMMENTS_STREAM)
    assert moved is not None
    assert moved[0] == feed.visible()[0]["data"]["name"]

    # Afterwards the cursor exists again: an idle pass finds nothing and catches nothing up.
    idle = plugin.poller.poll_once()
    assert (idle.ingested, idle.catch_ups) == (0, 0)


def test_a_429_with_reset_headers_pauses_the_poller(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, clock: FakeClock
) -> None:
    feed = reddit.feed("comments")
    feed.publish(20)
    plugin = make_plugin()
    plugin.poller.poll_once()
    cursor = plugin.poller.cursor(COMMENTS_STREAM)
    feed.publish(5)
    reddit.inject("/new", 429, {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "120"})
    before = len(host.posts)

    limited = plugin.poller.poll_once()

    assert limited.errors and "rate limited" in limited.errors[0]
    assert len(host.posts) == before  # the pass stopped: nothing more was asked for
    assert plugin.poller.cursor(COMMENTS_STREAM) == cursor
    assert reddit.events[-1] == ("request", f"GET /r/{SUBREDDIT}/new 429")

    resumed = plugin.poller.poll_once()

    # The next request waited out Reddit's whole reset window before going out.
    at = reddit.events.index(("request", f"GET /r/{SUBREDDIT}/new 429"))
    assert reddit.events[at + 1] == ("sleep", 120.0)
    assert reddit.events[at + 2][0] == "request"
    assert resumed.errors == []
    assert len(host.posts) == before + 5
    assert reddit.unmatched == []


def test_server_errors_back_off_and_retry(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, clock: FakeClock
) -> None:
    reddit.feed("new").publish(3)
    reddit.inject("/new", 503, times=2)
    plugin = make_plugin()

    report = plugin.poller.poll_once()

    assert report.errors == []
    assert [e for e in reddit.events if e[0] == "sleep"][:2] == [("sleep", 2.0), ("sleep", 4.0)]
    assert len([p for p in host.posts if p.kind == "post"]) == 3 - report.skipped


def test_token_is_renewed_before_the_expiry_reddit_returned(
    reddit: Reddit, make_plugin: PluginFactory, clock: FakeClock
) -> None:
    reddit.feed("comments").publish(10)
    plugin = make_plugin()
    plugin.poller.poll_once()
    clock.advance(3600 - 120)  # expires_in was 3600: still valid
    plugin.poller.poll_once()
    assert reddit.tokens_issued == 1
    clock.advance(61)  # inside the renewal margin
    plugin.poller.poll_once()
    assert reddit.tokens_issued == 2
    assert reddit.unmatched == []


def test_refresh_token_grant_and_modqueue_polling(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    reddit.feed("modqueue").publish()
    plugin = make_plugin(refresh_token=REFRESH_TOKEN, poll_modqueue="true")

    first = plugin.poller.poll_once()
    again = plugin.poller.poll_once()

    assert reddit.unmatched == []
    token = reddit.requests[0]
    assert token.form == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    assert reddit.api_requests("/about/modqueue/")
    queued = {p.external_id for p in host.posts}
    modqueue = {c["data"]["name"] for c in reddit.feed("modqueue").visible()}
    assert queued == modqueue  # mixed t1/t3; filtered by AutoModerator is still judged
    assert first.ingested == len(modqueue)
    assert again.ingested == 0  # seen marks in Redis: no repeats


def test_cursor_is_stored_in_the_host_key_value_store(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    reddit.feed("comments").publish(3)
    plugin = make_plugin()
    plugin.poller.poll_once()
    stored = host.kv.get(f"reddit:cursor:{SUBREDDIT}:comments")
    assert stored is not None
    assert json.loads(stored)["fullname"] == reddit.feed("comments").visible()[0]["data"]["name"]


def test_edited_items_from_about_edited_are_judged_again_as_new_revisions(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    reddit.feed("comments").publish(5)
    reddit.feed("new").publish(3)
    plugin = make_plugin(poll_edited="true")
    plugin.poller.poll_once()
    first = {p.external_id: p for p in host.posts}
    comment = next(c for c in reddit.feed("comments").visible() if c["data"]["name"] in first)
    link = next(c for c in reddit.feed("new").visible() if c["data"]["name"] in first)
    assert first[comment["data"]["name"]].revision == first[link["data"]["name"]].revision == "1"
    edited = reddit.feed("edited")
    # Reddit lists the most recently edited first, t1 and t3 mixed.
    edited.push(edited_copy(link, "Update: the new physio helps a little.", 1_800_000_100.0))
    edited.push(edited_copy(comment, "Edit: I'm going to end my life tonight, goodbye everyone", 1_800_000_200.0))
    before = len(host.posts)

    report = plugin.poller.poll_once()

    assert report.errors == []
    assert [(p.external_id, p.revision, p.kind, p.body) for p in host.posts[before:]] == [
        (link["data"]["name"], "1800000100", "post", "Update: the new physio helps a little."),
        (comment["data"]["name"], "1800000200", "comment", "Edit: I'm going to end my life tonight, goodbye everyone"),
    ]
    # A new revision is a new decision: the edit is judged on its own words.
    assert host.posts[-1].decision_id() != first[comment["data"]["name"]].decision_id()
    polls = reddit.api_requests("/about/edited/")
    assert [(r.method, r.path, r.query) for r in polls] == [
        ("GET", f"/r/{SUBREDDIT}/about/edited/", {"limit": "100", "raw_json": "1"}),
        ("GET", f"/r/{SUBREDDIT}/about/edited/", {"limit": "100", "raw_json": "1"}),
    ]
    assert all(r.recorded == "listing_edited.json" for r in polls)
    assert reddit.unmatched == []

    # The same edits again are not judged again (seen marks in Redis); a later edit is.
    assert plugin.poller.poll_once().ingested == 0
    edited.delete(comment["data"]["name"])
    edited.push(edited_copy(comment, "Edit 2: talked to my sister, safe for tonight.", 1_800_000_300.0))
    assert plugin.poller.poll_once().ingested == 1
    assert (host.posts[-1].external_id, host.posts[-1].revision) == (comment["data"]["name"], "1800000300")
    assert reddit.unmatched == []
