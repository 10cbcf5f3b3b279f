"""Moderators review and acknowledge from the alert's modmail conversation: `!haven ...` replies
read by the plugin's command poller from the replay servers' modmail, acted on through the host."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haven.domain import Decision
from haven.moderation.alert import markdown_words
from haven.moderation.commands import parse_command
from haven.plugins.testing import RecordingHost
from haven.policy import PolicySet, evaluate, load_policy_set
from haven_reddit import RedditPlugin
from haven_reddit.actions import alert_key

from tests.plugins.reddit.conftest import PluginFactory
from tests.plugins.reddit.replay import USERNAME, Reddit, clone

REPO = Path(__file__).resolve().parents[3]
CRISIS = "I'm going to end my life tonight, goodbye everyone"
# In the recorded moderator list: kind_heron has the posts permission, lakeside_jo only mail.
REVIEWER, MAIL_ONLY, OUTSIDER = "kind_heron", "lakeside_jo", "passer_by"


@pytest.fixture(scope="module")
def default_pack() -> PolicySet:
    return load_policy_set(REPO / "policies")


def alerted(reddit: Reddit, plugin: RedditPlugin, host: RecordingHost, pack: PolicySet) -> tuple[Decision, str]:
    """A crisis comment polled, judged and escalated: its alert's modmail conversation id."""
    feed = reddit.feed("comments")
    feed.publish()
    plugin.poller.poll_once()
    feed.push(clone(feed.visible()[0], len(feed.items), body=CRISIS, author="member_one"))
    plugin.poller.poll_once()
    post = host.posts[-1]
    decision = evaluate(pack, post, now=datetime.now(UTC), decision_id=post.decision_id())
    host.decisions[decision.id] = decision
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    assert plugin.execute(decision, escalate).status == "done"
    conversation = host.kv.get(alert_key(decision.id))
    assert conversation is not None
    return decision, conversation


def test_the_alert_in_modmail_is_havens_alert_with_the_commands(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)
    (body,) = reddit.modmail.replies_by(conversation, USERNAME)
    alert = host.alert(decision)
    assert reddit.modmail.conversations[conversation].subject.startswith("[Haven urgent] Crisis")
    assert alert.rules[0].id in body
    assert markdown_words(alert.evidence[0].segments) in body  # the evidence, the matched words marked
    assert re.search(r"\*\*`[^`]*end my life[^`]*`\*\*", body)
    assert "!haven ack" in body and "!haven uphold" in body and "!haven overturn" in body
    assert alert.links.console in body
    assert reddit.unmatched == []


def test_a_moderators_replies_acknowledge_and_review_once_each(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)

    reddit.modmail.reply(conversation, REVIEWER, "!haven ack")
    first = plugin.commands.poll_once()
    assert (first.handled, first.errors) == (1, [])
    assert host.acknowledged == [(decision.id, f"reddit:{REVIEWER}")]

    reddit.modmail.reply(conversation, REVIEWER, "!haven overturn\nIt's a song lyric, she's fine.")
    reddit.modmail.reply(conversation, REVIEWER, "Thanks all, talking to her now.")  # not a command
    second = plugin.commands.poll_once()
    assert second.handled == 1
    assert host.review_notes == [(decision.id, "overturned", f"reddit:{REVIEWER}", "from Reddit modmail")]

    # Nothing new: nothing is handled twice, and no conversation is opened again.
    fetched = len(reddit.api_requests(f"/api/mod/conversations/{conversation}"))
    again = plugin.commands.poll_once()
    assert (again.handled, again.refused) == (0, 0)
    assert host.acknowledged == [(decision.id, f"reddit:{REVIEWER}")] and len(host.reviews) == 1
    assert len(reddit.api_requests(f"/api/mod/conversations/{conversation}")) == fetched

    answers = reddit.modmail.replies_by(conversation, USERNAME)[1:]  # after the alert itself
    assert answers[0].startswith(f"Acknowledged by u/{REVIEWER}")
    assert answers[1].startswith(f"Overturned by u/{REVIEWER}")
    assert len(answers) == 2
    assert reddit.unmatched == []


def test_a_note_after_the_command_is_kept(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)
    reddit.modmail.reply(conversation, REVIEWER, "!haven uphold reached out, she is safe with family")
    plugin.commands.poll_once()
    assert host.review_notes == [(decision.id, "upheld", f"reddit:{REVIEWER}", "reached out, she is safe with family")]


def test_non_moderators_and_havens_own_messages_are_not_obeyed(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)
    reddit.modmail.reply(conversation, OUTSIDER, "!haven overturn", is_mod=False)
    reddit.modmail.reply(conversation, MAIL_ONLY, "!haven overturn")
    reddit.modmail.reply(conversation, USERNAME, "!haven uphold")  # Haven's own words never act
    reddit.modmail.reply(conversation, REVIEWER, "!haven shrug")

    report = plugin.commands.poll_once()

    assert (report.handled, report.refused) == (0, 3)
    assert host.reviews == [] and host.acknowledged == []
    answers = reddit.modmail.replies_by(conversation, USERNAME)[2:]  # after the alert and its own "uphold"
    assert answers[0].startswith(f"u/{OUTSIDER}: only moderators of r/")
    assert "posts (or full) moderator permission" in answers[1]
    assert "did not understand" in answers[2] and "!haven ack" in answers[2]
    # The mail-only moderator may still acknowledge.
    reddit.modmail.reply(conversation, MAIL_ONLY, "!haven ack")
    assert plugin.commands.poll_once().handled == 1
    assert host.acknowledged == [(decision.id, f"reddit:{MAIL_ONLY}")]
    assert reddit.unmatched == []


def test_a_moderator_removed_from_the_team_is_refused_at_once(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    _, conversation = alerted(reddit, plugin, host, default_pack)
    subreddit = reddit.modmail.conversations[conversation].subreddit
    reddit.modmail.moderators[subreddit.lower()] = [{"name": USERNAME, "mod_permissions": ["all"]}]
    reddit.modmail.reply(conversation, REVIEWER, "!haven uphold")
    assert plugin.commands.poll_once().refused == 1
    assert host.reviews == []


def test_subreddits_without_alerts_cost_no_modmail_request(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost
) -> None:
    plugin = make_plugin(initial_backlog="0")
    assert plugin.commands.poll_once().requests == 0
    assert reddit.api_requests("/api/mod/conversations/") == []


@pytest.mark.parametrize(
    ("body", "verb", "note"),
    [
        ("!haven ack", "acknowledge", ""),
        ("  !HAVEN Uphold  fine really \nmore lines", "upheld", "fine really"),
        ("\n\n!haven overturn", "overturned", ""),
        ("!haven", None, ""),
        ("!haven frobnicate now", None, "now"),
    ],
)
def test_commands_are_read_from_the_first_line(body: str, verb: str | None, note: str) -> None:
    command = parse_command(body)
    assert command is not None and (command.verb, command.note) == (verb, note)


@pytest.mark.parametrize("body", ["thanks, on it", "please !haven ack", "", "!havenack"])
def test_other_messages_are_not_commands(body: str) -> None:
    assert parse_command(body) is None


def test_an_acknowledgement_made_elsewhere_is_said_once_in_the_alerts_conversation(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)
    at = datetime(2026, 12, 2, 6, 5, tzinfo=UTC)

    # Haven's notice may come twice (a task run again): one reply.
    plugin.escalation_acknowledged(decision, "slack:U0ACK", at)
    plugin.escalation_acknowledged(decision, "slack:U0ACK", at)

    _alert, *said = reddit.modmail.replies_by(conversation, USERNAME)
    assert said == [
        "Acknowledged by slack:U0ACK at 2026-12-02 06:05 UTC, outside this conversation: the reminders stop. "
        "Review it with `!haven uphold` or `!haven overturn`."
    ]


def test_an_acknowledgement_from_the_conversation_itself_is_not_said_again(
    reddit: Reddit, make_plugin: PluginFactory, host: RecordingHost, default_pack: PolicySet
) -> None:
    plugin = make_plugin(initial_backlog="0")
    decision, conversation = alerted(reddit, plugin, host, default_pack)

    plugin.escalation_acknowledged(decision, f"reddit:{REVIEWER}", datetime.now(UTC))

    assert len(reddit.modmail.replies_by(conversation, USERNAME)) == 1  # the alert alone
