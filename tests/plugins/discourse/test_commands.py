"""Staff review and acknowledge by replying `!haven ...` in the moderators' message Haven sent:
replies arrive as signed webhooks, as Discourse sends them, against the loopback fake Discourse."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from haven.domain import Decision
from haven.moderation.alert import markdown_words
from haven.plugins.testing import RecordingHost
from haven_discourse import DiscoursePlugin

from tests.plugins.discourse.fake_discourse import FakeDiscourse
from tests.plugins.discourse.payloads import post_payload

CRISIS = "I've made up my mind. I'm going to end my life tonight. Goodbye everyone."


def escalated(plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse, post_id: int) -> tuple[Decision, int]:
    status, answer = plugin.receive("post_created", post_payload(post_id, CRISIS), plugin.settings.base_url)
    assert status == 202, answer
    decision = host.decisions[answer["decision_id"]]
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    assert plugin.execute(decision, escalate).status == "done"
    return decision, fake.topic_of("moderators", decision.id)


def reply(
    plugin: DiscoursePlugin,
    topic: int,
    post_id: int,
    raw: str,
    *,
    username: str = "mod_mia",
    staff: bool = True,
    event: str = "post_created",
) -> tuple[int, dict[str, Any]]:
    payload = post_payload(
        post_id, raw, topic_id=topic, username=username, staff=staff, moderator=staff, archetype="private_message",
        post_number=2, user_id=77,
    )  # fmt: skip
    payload["post"]["category_id"] = None  # a private message has no category
    payload["post"]["category_slug"] = None
    return plugin.receive(event, payload, plugin.settings.base_url)


def test_the_moderators_message_carries_the_alert_and_how_to_act(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, topic = escalated(plugin, host, fake, 1701)
    raw = fake.private_topics[topic]["raw"]
    alert = host.alert(decision)
    assert alert.rules[0].id in raw and alert.rules[0].name in raw
    assert markdown_words(alert.evidence[0].segments) in raw  # the evidence, the matched words marked
    assert re.search(r"\*\*`[^`]*end my life[^`]*`\*\*", raw)
    assert alert.suggested in raw
    assert "!haven ack" in raw and "!haven overturn" in raw
    assert alert.links.console in raw
    assert "by @tired_of_pain" in raw


def test_a_staff_reply_acknowledges_then_reviews_once_each(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, topic = escalated(plugin, host, fake, 1702)

    assert reply(plugin, topic, 1800, "!haven ack") == (200, {"status": "recorded", "decision_id": decision.id})
    assert host.acknowledged == [(decision.id, "discourse:mod_mia")]
    status, answer = reply(plugin, topic, 1801, "!haven uphold\n\nI've called her, she's with her sister.")
    assert (status, answer["status"]) == (200, "recorded")
    assert host.review_notes == [(decision.id, "upheld", "discourse:mod_mia", "from the Discourse moderators' message")]
    # Discourse retries a delivery with a new event id: the post id says it was handled.
    assert reply(plugin, topic, 1801, "!haven uphold")[1] == {"status": "duplicate"}
    # An edit of a command is not a new command.
    assert reply(plugin, topic, 1801, "!haven overturn", event="post_edited")[1]["status"] == "ignored"
    assert len(host.reviews) == 1
    answers = [r["raw"] for r in fake.replies[topic]]
    assert answers[0].startswith("Acknowledged by @mod_mia") and answers[1].startswith("Upheld by @mod_mia")
    assert all(r["reply_to_post_number"] == 2 for r in fake.replies[topic])


def test_non_staff_havens_own_posts_and_chatter_are_not_obeyed_nor_judged(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, topic = escalated(plugin, host, fake, 1703)
    posts_before = len(host.posts)

    assert reply(plugin, topic, 1810, "!haven overturn", username="group_member", staff=False)[1]["status"] == "refused"
    assert reply(plugin, topic, 1811, "!haven uphold", username="system")[1]["status"] == "ignored"
    assert reply(plugin, topic, 1812, "I want to die, this job is killing me lol")[1]["status"] == "ignored"
    assert reply(plugin, topic, 1813, "!haven overturn", staff=True)[1]["status"] == "recorded"

    assert host.reviews == [(decision.id, "overturned", "discourse:mod_mia")]
    assert len(host.posts) == posts_before  # replies in an alert are never judged as posts
    (refusal, overturned) = [r["raw"] for r in fake.replies[topic]]
    assert refusal.startswith("@group_member: only staff")
    assert overturned.startswith("Overturned by @mod_mia")


def test_a_reply_in_any_other_private_message_is_left_alone(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    status, answer = reply(plugin, 424242, 1820, "!haven overturn")
    assert status == 200 and answer["status"] == "ignored"
    assert host.reviews == [] and fake.replies == {}


def test_an_acknowledgement_made_elsewhere_is_said_once_in_the_moderators_message(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, topic = escalated(plugin, host, fake, 1710)
    at = datetime(2026, 12, 2, 6, 5, tzinfo=UTC)

    # Haven's notice may come twice (a task run again): one reply.
    plugin.escalation_acknowledged(decision, "mod_alex", at)
    plugin.escalation_acknowledged(decision, "mod_alex", at)

    assert [r["raw"] for r in fake.replies[topic]] == [
        "Acknowledged by mod\\_alex at 2026-12-02 06:05 UTC, outside this conversation: the reminders stop. "
        "Review it with `!haven uphold` or `!haven overturn`."
    ]


def test_an_acknowledgement_by_a_staff_reply_is_not_said_again(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, topic = escalated(plugin, host, fake, 1711)
    assert reply(plugin, topic, 1811, "!haven ack")[1]["status"] == "recorded"

    plugin.escalation_acknowledged(decision, "discourse:mod_mia", datetime.now(UTC))

    assert [r["raw"].split(" ")[0] for r in fake.replies[topic]] == ["Acknowledged"]  # the command's answer alone
