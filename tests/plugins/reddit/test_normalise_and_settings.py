"""Normalising recorded t1/t3 items, settings from HAVEN_REDDIT_*, the CLI and the entry point."""

from __future__ import annotations

import argparse
import copy
from importlib.metadata import entry_points
from typing import Any

import pytest
from haven.domain import TextRange
from haven.plugins.protocol import Plugin, PluginUnavailable
from haven.plugins.testing import RecordingHost
from haven_reddit.normalise import normalise, quoted_ranges
from haven_reddit.settings import load_settings, parse_communities

from tests.plugins.reddit.conftest import PluginFactory, env_for
from tests.plugins.reddit.replay import SUBREDDIT, USERNAME, Reddit, recorded_listing

COMMENTS = "listing_comments.json"
NEW = "listing_new.json"


def community_of(sub: str) -> str | None:
    return {"chronicpain": "pain", SUBREDDIT: "peer-support"}.get(sub.lower())


def first(cassette: str) -> dict[str, Any]:
    child: dict[str, Any] = recorded_listing(cassette, 0)["data"]["children"][0]
    return child


def test_a_recorded_comment_becomes_a_post() -> None:
    child = first(COMMENTS)
    data = child["data"]
    post = normalise(child, community_of)
    assert post is not None
    assert (post.platform, post.kind, post.community) == ("reddit", "comment", "peer-support")
    assert post.external_id == data["name"]
    assert (post.body, post.title) == (data["body"], "")
    assert post.thread_id == data["link_id"]
    assert post.parent_id == data["parent_id"]
    assert post.url == "https://www.reddit.com" + data["permalink"]
    assert post.created_at is not None and post.created_at.timestamp() == data["created_utc"]
    assert post.author.id == post.author.name == data["author"]
    assert post.revision == "1"


def test_a_recorded_link_becomes_a_post() -> None:
    child = first(NEW)
    data = child["data"]
    post = normalise(child, community_of)
    assert post is not None
    assert (post.kind, post.community, post.title) == ("post", "peer-support", data["title"])
    assert post.thread_id == post.external_id == data["name"]
    assert post.parent_id is None


def test_edited_items_get_a_new_revision() -> None:
    child = copy.deepcopy(first(COMMENTS))
    child["data"]["edited"] = 1696755000.0
    post = normalise(child, community_of)
    assert post is not None and post.revision == "1696755000"


@pytest.mark.parametrize(
    "change",
    [
        {"author": "[deleted]"},
        {"body": "[removed]"},
        {"body": "[deleted]"},
        {"removed": True},
        {"spam": True},
        {"author": USERNAME},  # our own distinguished replies
        {"subreddit": "somewhere_else"},
    ],
)
def test_deleted_removed_own_and_foreign_items_are_skipped(change: dict[str, Any]) -> None:
    child = copy.deepcopy(first(COMMENTS))
    child["data"].update(change)
    assert normalise(child, community_of, own_username=USERNAME) is None


def test_removed_links_are_skipped_but_automod_filtered_ones_judged() -> None:
    child = copy.deepcopy(first(NEW))
    child["data"]["removed_by_category"] = "moderator"
    assert normalise(child, community_of) is None
    child["data"]["removed_by_category"] = "automod_filtered"
    assert normalise(child, community_of) is not None


def test_quote_blocks_become_quoted_ranges() -> None:
    body = "> you should kill yourself\nlazy line of the quote\n\nThat was cruel of them.\n>another"
    ranges = quoted_ranges(body)
    assert ranges == [TextRange("body", 0, 49), TextRange("body", body.index(">another"), len(body))]
    assert body[0:49] == "> you should kill yourself\nlazy line of the quote"


def test_recorded_quotes_are_marked() -> None:
    quoting = [
        c
        for c in recorded_listing(COMMENTS, 0)["data"]["children"]
        if c["data"]["body"].startswith(">") or "\n>" in c["data"]["body"]
    ]
    assert quoting
    for child in quoting:
        post = normalise(child, community_of)
        assert post is not None and post.quoted
        assert all(post.body[r.start] == ">" or post.body[r.start] == " " for r in post.quoted)


def test_settings_missing_or_wrong_name_the_variable(reddit: Reddit) -> None:
    env = env_for(reddit)
    for name in ("CLIENT_ID", "CLIENT_SECRET", "USERNAME", "USER_AGENT", "SUBREDDITS"):
        broken = {k: v for k, v in env.items() if k != f"HAVEN_REDDIT_{name}"}
        with pytest.raises(PluginUnavailable, match=f"HAVEN_REDDIT_{name}"):
            load_settings(broken)
    with pytest.raises(PluginUnavailable, match="HAVEN_REDDIT_PASSWORD"):
        load_settings({k: v for k, v in env.items() if k != "HAVEN_REDDIT_PASSWORD"})
    with pytest.raises(PluginUnavailable, match="HAVEN_REDDIT_USER_AGENT"):
        load_settings({**env, "HAVEN_REDDIT_USER_AGENT": "python-requests/2.31"})
    settings = load_settings({**env, "HAVEN_REDDIT_AUTH_URL": "", "HAVEN_REDDIT_API_URL": ""})
    assert (settings.auth_url, settings.api_url) == ("https://www.reddit.com", "https://oauth.reddit.com")
    assert "secret" not in repr(PluginUnavailable("HAVEN_REDDIT_CLIENT_ID is not set"))


def test_the_configured_locale_picks_the_crisis_lines_of_crisis_replies(reddit: Reddit) -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from haven.policy import evaluate, load_policy_set

    assert load_settings(env_for(reddit)).locale is None
    settings = load_settings({**env_for(reddit), "HAVEN_REDDIT_LOCALE": "en-GB"})
    child = copy.deepcopy(first(COMMENTS))
    child["data"]["body"] = "I want to end my life tonight"
    post = normalise(child, community_of, locale=settings.locale)
    assert post is not None
    assert post.locale == "en-GB"
    policies = load_policy_set(Path(__file__).resolve().parents[3] / "policies")
    decision = evaluate(policies, post, now=datetime.now(UTC))
    reply = next(a for a in decision.actions if a.kind == "reply")
    assert "116 123" in reply.params["text"]  # Samaritans, the UK and Ireland line


def test_subreddit_mapping() -> None:
    assert parse_communities("ChronicPain=pain, r/griefsupport") == {
        "chronicpain": "pain",
        "griefsupport": "griefsupport",
    }
    with pytest.raises(PluginUnavailable, match="HAVEN_REDDIT_SUBREDDITS"):
        parse_communities("bad name!")


def test_entry_point_and_protocol(reddit: Reddit, host: RecordingHost) -> None:
    (entry,) = [e for e in entry_points(group="haven.plugins") if e.name == "reddit"]
    plugin = entry.load()(env_for(reddit), host)
    try:
        assert isinstance(plugin, Plugin)
        assert plugin.name == "reddit"
        assert plugin.routes() == []
        assert set(plugin.periodic_tasks()) == {"poll", "modmail"}
        assert {"remove", "reply", "escalate", "lock", "notify_author"} <= plugin.supported_actions
    finally:
        plugin.close()


def test_cli_poll_once(reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost) -> None:
    reddit.feed("comments").publish(5)
    plugin = make_plugin()
    parser = argparse.ArgumentParser(prog="haven plugins reddit")
    plugin.register_commands(parser.add_subparsers(dest="command", required=True))

    args = parser.parse_args(["poll", "--once"])
    assert args.handler(args) == 0
    assert len(host.posts) == 5 - sum(
        1 for c in reddit.feed("comments").visible() if c["data"]["author"] == "[deleted]"
    )
    args = parser.parse_args(["cursors"])
    assert args.handler(args) == 0
    assert reddit.unmatched == []
