"""Decisions of the real engine carried out through the replay servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haven.domain import Action, Decision, Post
from haven.plugins.testing import RecordingHost
from haven.policy import PolicySet, evaluate, load_policy_set
from haven_reddit import RedditPlugin

from tests.plugins.reddit.conftest import PluginFactory
from tests.plugins.reddit.replay import SUBREDDIT, USERNAME, FakeClock, Reddit, clone

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 1, 1, tzinfo=UTC)

HOUSE_RULES = """\
id: house
description: Test rules for a small support subreddit.
rules:
  - id: follower-spam
    description: Selling followers.
    category: spam.commercial
    severity: medium
    match: {phrases: ["buy followers"]}
    actions: [remove]
  - id: heated
    description: Telling members to shut up.
    category: community.hostility
    severity: low
    match: {phrases: ["shut up"]}
    actions:
      - flag_for_review
      - lock
      - reply: {template: keep-it-kind}
"""


@pytest.fixture(scope="module")
def house_rules(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    folder = tmp_path_factory.mktemp("policies")
    (folder / "house.yaml").write_text(HOUSE_RULES)
    (folder / "templates").mkdir()
    (folder / "templates" / "keep-it-kind.md").write_text("Please keep it kind in {community}.\n")
    return load_policy_set(folder)


@pytest.fixture(scope="module")
def default_pack() -> PolicySet:
    return load_policy_set(REPO / "policies")


def judge(policy_set: PolicySet, post: Post) -> Decision:
    return evaluate(policy_set, post, now=NOW, decision_id=post.decision_id())


def poll_one(reddit: Reddit, plugin: RedditPlugin, host: RecordingHost, body: str, stream: str = "comments") -> Post:
    """Publish one new item on the replay server and let the poller hand it to the host."""
    feed = reddit.feed(stream)
    feed.publish()
    plugin.poller.poll_once()
    feed.push(clone(feed.visible()[0], len(feed.items), body=body, author="member_one"))
    plugin.poller.poll_once()
    post = host.posts[-1]
    assert post.body == body
    return post


def run_all(plugin: RedditPlugin, decision: Decision) -> dict[str, str]:
    return {action.kind: plugin.execute(decision, action).status for action in decision.actions}


def test_crisis_comment_modmails_the_author_and_the_moderators(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    post = poll_one(reddit, plugin, host, "I'm going to end my life tonight, goodbye everyone")
    decision = judge(default_pack, post)
    assert decision.verdict == "escalate"

    results = run_all(plugin, decision)

    assert results["escalate"] == "done"
    assert results["reply"] == "done"
    assert reddit.unmatched == []
    modmail = reddit.api_requests("/api/mod/conversations/")
    assert len(modmail) == 2
    by_recipient = {r.form["to"]: r.form for r in modmail}
    to_author = by_recipient["member_one"]
    assert to_author["srName"] == SUBREDDIT
    assert to_author["isAuthorHidden"] == "True"
    assert "988" in to_author["body"] or "helpline" in to_author["body"].lower()
    assert post.url is not None and post.url in to_author["body"]
    # To the bot's own moderator account: Reddit files it as an internal moderators' discussion.
    to_moderators = by_recipient[USERNAME]
    assert to_moderators["subject"].startswith("[Haven urgent] Crisis")
    assert "crisis/" in to_moderators["body"]
    assert "!haven ack" in to_moderators["body"]  # how to act on it from modmail
    assert post.url in to_moderators["body"]
    # No public reply, no removal: people first.
    assert reddit.api_requests("/api/comment/") == []
    assert reddit.api_requests("/api/remove/") == []


def test_remove_report_reply_lock_match_the_recordings(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    spam = judge(house_rules, poll_one(reddit, plugin, host, "cheap! buy followers here"))
    heated = judge(house_rules, poll_one(reddit, plugin, host, "oh just shut up already"))

    assert run_all(plugin, spam) == {"remove": "done"}
    assert run_all(plugin, heated) == {"flag_for_review": "done", "lock": "done", "reply": "done"}

    assert reddit.unmatched == []
    (remove,) = reddit.api_requests("/api/remove/")
    assert remove.form == {"api_type": "json", "id": spam.post.external_id, "spam": "True"}
    (report,) = reddit.api_requests("/api/report/")
    assert report.form["id"] == heated.post.external_id
    assert report.form["reason"] == "Haven: house/heated"
    (lock,) = reddit.api_requests("/api/lock/")
    assert lock.form["id"] == heated.post.external_id
    (reply,) = reddit.api_requests("/api/comment/")
    assert reply.form["thing_id"] == heated.post.external_id
    assert reply.form["text"].startswith("Please keep it kind in peer-support.")
    (distinguish,) = reddit.api_requests("/api/distinguish/")
    assert distinguish.form["how"] == "yes"
    recorded_reply = json.loads(next(r for r in reddit.recordings if r.path == "/api/comment/").body)
    # the fullname Reddit gave the reply, read from the answer to /api/comment/
    assert distinguish.form["id"] == recorded_reply["json"]["data"]["things"][0]["data"]["name"]


def test_actions_run_twice_do_not_repeat_on_reddit(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    heated = judge(house_rules, poll_one(reddit, plugin, host, "shut up, seriously"))
    run_all(plugin, heated)
    sent = len(reddit.requests)

    again = run_all(plugin, heated)  # a task retried after a worker died

    assert again == {"flag_for_review": "skipped", "lock": "skipped", "reply": "skipped"}
    assert len(reddit.requests) == sent


def test_an_overturned_removal_is_approved(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision = judge(house_rules, poll_one(reddit, plugin, host, "buy followers, best prices"))
    run_all(plugin, decision)

    plugin.review_recorded(decision, "upheld", "mod_a")
    assert reddit.api_requests("/api/approve/") == []
    plugin.review_recorded(decision, "overturned", "mod_a")

    (approve,) = reddit.api_requests("/api/approve/")
    assert approve.form == {"api_type": "json", "id": decision.post.external_id}
    assert reddit.unmatched == []


def test_unsupported_and_shadow_actions_touch_nothing(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision = judge(house_rules, poll_one(reddit, plugin, host, "buy followers now"))
    sent = len(reddit.requests)

    assert plugin.execute(decision, Action(kind="redact")).status == "unsupported"
    assert plugin.execute(decision, Action(kind="label", params={"name": "x"})).status == "unsupported"
    shadow = Decision(**{**{f: getattr(decision, f) for f in decision.__struct_fields__}, "mode": "shadow"})
    assert plugin.execute(shadow, decision.actions[0]).status == "skipped"
    assert len(reddit.requests) == sent


def test_a_429_on_an_action_is_a_retryable_failure(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision = judge(house_rules, poll_one(reddit, plugin, host, "buy followers today"))
    reddit.inject("/api/remove/", 429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "300"})

    result = plugin.execute(decision, decision.actions[0])
    assert (result.status, result.retryable) == ("failed", True)
    # The task backs off at least as long as Reddit's window needs to reset.
    assert result.retry_after_seconds == 300.0
    # The worker does not block for Reddit's five minutes: the next attempt fails fast too,
    # with what is left of the wait (the clock moves only when the plugin sleeps).
    again = plugin.execute(decision, decision.actions[0])
    assert (again.status, again.retryable, again.retry_after_seconds) == ("failed", True, 300.0)
    assert len(reddit.api_requests("/api/remove/")) == 1


def test_a_429_with_only_retry_after_passes_that_wait_to_the_task(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet, clock: FakeClock
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision = judge(house_rules, poll_one(reddit, plugin, host, "buy followers this week"))
    reddit.inject("/api/remove/", 429, {"retry-after": "90"})

    result = plugin.execute(decision, decision.actions[0])
    assert (result.status, result.retryable, result.retry_after_seconds) == ("failed", True, 90.0)

    clock.advance(90)  # the task's retry, once the wait has passed, goes out and succeeds
    assert plugin.execute(decision, decision.actions[0]).status == "done"
    assert [r.status for r in reddit.api_requests("/api/remove/")] == [429, 200]
    assert reddit.unmatched == []


def test_logs_carry_ids_only(
    reddit: Reddit,
    make_plugin: PluginFactory,
    host: RecordingHost,
    default_pack: PolicySet,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    plugin = make_plugin(initial_backlog="0")
    text = "I'm going to end my life tonight, goodbye everyone"
    post = poll_one(reddit, plugin, host, text)
    run_all(plugin, judge(default_pack, post))

    assert caplog.records
    for record in caplog.records:
        rendered = record.getMessage() + " " + repr(record.__dict__)
        for secret in (text, "goodbye everyone", "test-access-token", "test-password", "test-client-secret"):
            assert secret not in rendered


def test_a_reply_whose_distinguish_failed_is_not_posted_again_on_retry(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, house_rules: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    heated = judge(house_rules, poll_one(reddit, plugin, host, "shut up and listen"))
    reply = next(a for a in heated.actions if a.kind == "reply")
    reddit.inject("/api/distinguish/", 503, times=4)  # the client's own retries run out

    first = plugin.execute(heated, reply)
    assert (first.status, first.retryable) == ("failed", True)

    again = plugin.execute(heated, reply)  # the task's retry

    assert again.status == "done"
    assert len(reddit.api_requests("/api/comment/")) == 1
    assert [r.status for r in reddit.api_requests("/api/distinguish/")] == [503, 503, 503, 503, 200]
    assert reddit.unmatched == []


def test_the_moderators_modmail_says_what_the_thread_shows() -> None:
    from haven.domain import Author
    from haven.policy import InMemoryConversationStore
    from haven_reddit.actions import escalation_message

    pack = load_policy_set(Path(__file__).resolve().parents[3] / "policies")
    conversations = InMemoryConversationStore()

    def say(name: str, author: str, body: str, parent: str | None = None) -> Decision:
        post = Post(platform="reddit", community="c", external_id=name, kind="comment" if parent else "post",
                    author=Author(id=author), body=body, thread_id="t3_abc", parent_id=parent)  # fmt: skip
        return evaluate(pack, post, now=datetime.now(UTC), conversations=conversations)

    say("t3_abc", "mia", "I'm going to end my life tonight.")
    decision = say("t1_x", "troll", "Stop faking it for attention, nobody cares about your sob story.", "t3_abc")
    _, body = escalation_message(RecordingHost().alert(decision), SUBREDDIT)
    assert "- community.crisis-hostility: a reply to member mia, whose post was flagged" in body
