"""Actions carried out against the loopback fake Discourse, on decisions made by the real engine."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from haven.domain import Action, Decision
from haven.plugins.testing import RecordingHost
from haven.policy import PolicySet, load_policy_set
from haven_discourse import DiscoursePlugin, create

from tests.plugins.discourse.conftest import plugin_env
from tests.plugins.discourse.fake_discourse import API_KEY, FakeDiscourse
from tests.plugins.discourse.payloads import post_payload

CRISIS = "I've made up my mind. I'm going to end my life tonight. Goodbye everyone."
DOXXING = "FYI the user grief_dad is Tom from Cork, he works at the bank on Main St. Email him at tom.cork@gmail.com"

SMALL_PACK = """\
id: small
description: Rules for the Discourse plugin's action tests.
rules:
  - id: flag
    category: test.flag
    severity: low
    match: {phrases: ["miracle cure"]}
    actions: [flag_for_review: {reason: "miracle cure claim"}]
  - id: remove
    category: test.remove
    severity: high
    match: {phrases: ["buy cheap pills"]}
    actions: [remove]
  - id: silence
    category: test.silence
    severity: high
    match: {phrases: ["you worthless troll"]}
    actions: [hold, silence: {hours: 2}]
  - id: label
    category: test.label
    severity: low
    match: {phrases: ["side effects"]}
    actions: [label: {name: needs-eyes}]
  - id: shadowed
    category: test.shadow
    severity: high
    mode: shadow
    match: {phrases: ["shadow words"]}
    actions: [remove]
"""


def judge(plugin: DiscoursePlugin, host: RecordingHost, post_id: int, raw: str, **fields: object) -> Decision:
    status, answer = plugin.receive("post_created", post_payload(post_id, raw, **fields), plugin.settings.base_url)  # type: ignore[arg-type]
    assert status == 202, answer
    return host.decisions[answer["decision_id"]]


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    folder = tmp_path_factory.mktemp("policies")
    (folder / "small.yaml").write_text(SMALL_PACK)
    return load_policy_set(folder)


@pytest.fixture
def small(fake: FakeDiscourse, small_pack: PolicySet) -> tuple[DiscoursePlugin, RecordingHost]:
    host = RecordingHost(policy_set=small_pack)
    return create(plugin_env(fake.base_url), host), host


def test_crisis_post_gets_a_private_message_with_resources_and_alerts_the_moderators(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision = judge(plugin, host, 1501, CRISIS)
    assert decision.verdict == "escalate"
    results = {a.kind: plugin.execute(decision, a) for a in decision.actions}
    assert results["escalate"].status == "done"
    assert results["reply"].status == "done"

    messages = {m["target_recipients"]: m for m in fake.private_messages()}
    assert set(messages) == {"tired_of_pain", "moderators"}
    resources = messages["tired_of_pain"]
    assert "988" in resources["raw"]
    assert resources["archetype"] == "private_message"
    alert = messages["moderators"]
    assert decision.id in alert["raw"]
    assert "/t/does-anyone-else-feel-this-way/77/2" in alert["raw"]
    assert "urgent" in alert["title"].lower()
    assert CRISIS not in alert["raw"]  # the alert links to the post; it does not copy it
    assert not fake.hidden and not fake.deleted  # people first: the post stays up
    assert not fake.admin_calls("PUT", "/admin/users/4242/silence.json")
    assert all(c.headers["api-key"] == API_KEY and c.headers["api-username"] == "system" for c in fake.calls)


@pytest.mark.parametrize("style", ["queue_for_review", "take_action"])
def test_doxxing_post_is_hidden_with_the_configured_staff_flag(
    style: str, fake: FakeDiscourse, host: RecordingHost
) -> None:
    plugin = create(plugin_env(fake.base_url, HAVEN_DISCOURSE_HIDE_STYLE=style), host)
    decision = judge(plugin, host, 1502, DOXXING)
    assert decision.verdict == "hold"
    results = {a.kind: plugin.execute(decision, a) for a in decision.actions}
    assert results["hold"].status == "done"
    assert results["redact"].status == "unsupported"
    assert results["notify_author"].status == "done"
    (flag,) = fake.admin_calls("POST", "/post_actions.json")
    assert flag.body["id"] == 1502
    assert flag.body["post_action_type_id"] == 4
    assert flag.body[style] == "true"
    assert 1502 in fake.hidden
    (note,) = fake.private_messages()
    assert note["target_recipients"] == "tired_of_pain"


# Another member's words, quoted the two ways Discourse renders as a quote; and whom the alert names.
QUOTES = {
    "quote-tag": ('[quote="hopeless_hannah, post:4, topic:77"]\n{}\n[/quote]', "@hopeless_hannah"),
    "markdown-blockquote": ("Hannah wrote this last night:\n\n> {}", "another member"),
}


@pytest.mark.parametrize("quote", QUOTES)
def test_a_quote_of_someone_elses_crisis_post_is_not_escalated_as_the_quoters(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse, quote: str
) -> None:
    raw = QUOTES[quote][0].format(CRISIS) + "\n\nHannah, we are here for you. Please answer."
    decision = judge(plugin, host, 1503, raw)
    assert decision.verdict != "escalate"
    assert not any(a.kind == "escalate" for a in decision.actions)
    assert {m.category for m in decision.quoted_matches} >= {"crisis.imminent"}
    for action in decision.actions:
        plugin.execute(decision, action)
    assert all(m["target_recipients"] != "moderators" for m in fake.private_messages())


@pytest.mark.parametrize("quote", QUOTES)
def test_the_quoters_own_words_still_escalate_and_the_alert_says_what_was_quoted(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse, quote: str
) -> None:
    template, source = QUOTES[quote]
    raw = template.format(CRISIS) + "\n\nHonestly I want to die too, every single day."
    decision = judge(plugin, host, 1504, raw)
    assert decision.verdict == "escalate"
    assert {m.category for m in decision.quoted_matches} >= {"crisis.imminent"}
    # The quoted plan is the quoted member's: the quoter is escalated for their own words only.
    assert "crisis.imminent" not in {m.category for m in decision.matches}
    # A rule fires as the quoter's or as quoted, never both (a learned rule may share a category).
    assert {m.rule for m in decision.matches}.isdisjoint({m.rule for m in decision.quoted_matches})
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    assert plugin.execute(decision, escalate).status == "done"
    (alert,) = fake.private_messages()
    quoted_line = next(line for line in alert["raw"].splitlines() if "quoted" in line.lower())
    assert source in quoted_line  # a `>` quote names no one
    assert "crisis.imminent" in quoted_line


def test_own_words_on_the_line_right_after_a_blockquote_are_judged_as_the_authors(
    plugin: DiscoursePlugin, host: RecordingHost
) -> None:
    # Markdown renders this second line inside the quote (no blank line), but it is the author's.
    raw = f"> Hannah said she is struggling too\n{CRISIS}"
    decision = judge(plugin, host, 1522, raw)
    assert decision.verdict == "escalate"
    assert any(a.kind == "escalate" for a in decision.actions)


def test_an_action_run_twice_acts_once(plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse) -> None:
    decision = judge(plugin, host, 1505, DOXXING)
    hold = next(a for a in decision.actions if a.kind == "hold")
    first, second = plugin.execute(decision, hold), plugin.execute(decision, hold)
    assert (first.status, second.status) == ("done", "done")
    assert len(fake.admin_calls("POST", "/post_actions.json")) == 1


def test_an_overturned_review_unhides_and_an_upheld_one_changes_nothing(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision = judge(plugin, host, 1506, DOXXING)
    for action in decision.actions:
        plugin.execute(decision, action)
    assert 1506 in fake.hidden
    plugin.review_recorded(decision, "upheld", "mod_mia")
    assert not fake.admin_calls("PUT", "/posts/1506/unhide")
    plugin.review_recorded(decision, "overturned", "mod_mia")
    assert len(fake.admin_calls("PUT", "/posts/1506/unhide")) == 1
    assert 1506 not in fake.hidden
    plugin.review_recorded(decision, "overturned", "mod_mia")  # nothing left to undo
    assert len(fake.admin_calls("PUT", "/posts/1506/unhide")) == 1


def test_flag_for_review_is_a_notify_moderators_flag(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    decision = judge(plugin, host, 1601, "This miracle cure fixed everything")
    (action,) = decision.actions
    assert plugin.execute(decision, action).status == "done"
    (flag,) = fake.admin_calls("POST", "/post_actions.json")
    assert flag.body["post_action_type_id"] == 7
    assert "miracle cure claim" in flag.body["message"]
    assert flag.body["message"].endswith(f"https://haven.example/console/#decision/{decision.id}")
    assert 1601 not in fake.hidden


def test_remove_deletes_and_an_overturn_recovers(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    decision = judge(plugin, host, 1602, "buy cheap pills here")
    (action,) = decision.actions
    assert plugin.execute(decision, action).status == "done"
    (delete,) = fake.admin_calls("DELETE", "/posts/1602.json")
    assert delete.body == {"force_destroy": False}
    plugin.review_recorded(decision, "overturned", "mod_mia")
    assert fake.admin_calls("PUT", "/posts/1602/recover.json")


def test_remove_of_a_post_already_gone_is_done(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    fake.deleted.add(1603)
    decision = judge(plugin, host, 1603, "buy cheap pills here")
    result = plugin.execute(decision, decision.actions[0])
    assert (result.status, result.detail) == ("done", "already gone")


def test_silence_only_when_a_policy_asks_for_it(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    decision = judge(plugin, host, 1604, "you worthless troll")
    assert {a.kind for a in decision.actions} == {"hold", "silence"}
    for action in decision.actions:
        assert plugin.execute(decision, action).status == "done"
    (silence,) = fake.admin_calls("PUT", "/admin/users/4242/silence.json")
    assert silence.body["silenced_till"]
    assert decision.id in silence.body["reason"]
    plugin.review_recorded(decision, "overturned", "mod_mia")
    assert fake.admin_calls("PUT", "/admin/users/4242/unsilence.json")
    assert fake.admin_calls("PUT", "/posts/1604/unhide")


def test_label_adds_a_tag_and_keeps_the_topics_tags(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    fake.tags[77] = ["flare"]
    decision = judge(plugin, host, 1605, "any side effects?")
    assert plugin.execute(decision, decision.actions[0]).status == "done"
    (put,) = fake.admin_calls("PUT", "/t/-/77.json")
    assert put.body == {"tags": ["flare", "needs-eyes"]}


def test_shadow_decisions_are_not_carried_out(
    small: tuple[DiscoursePlugin, RecordingHost], fake: FakeDiscourse
) -> None:
    plugin, host = small
    decision = judge(plugin, host, 1606, "shadow words")
    assert decision.mode == "shadow"
    assert decision.actions == []  # the engine proposes nothing for shadow rules
    forced = msgspec.structs.replace(decision, actions=[Action(kind="remove")])
    assert plugin.execute(forced, forced.actions[0]).status == "skipped"
    assert not fake.calls


def test_failures_say_whether_to_retry(plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse) -> None:
    decision = judge(plugin, host, 1607, DOXXING)
    hold = next(a for a in decision.actions if a.kind == "hold")
    fake.script(502, {"errors": ["bad gateway"]})
    server_error = plugin.execute(decision, hold)
    assert (server_error.status, server_error.retryable) == ("failed", True)
    fake.script(403, {"errors": ["You are not permitted"], "error_type": "invalid_access"})
    refused = plugin.execute(decision, hold)
    assert (refused.status, refused.retryable) == ("failed", False)
    assert "invalid_access" in refused.detail
    assert plugin.execute(decision, hold).status == "done"


def test_unreachable_discourse_is_a_retryable_failure(host: RecordingHost, tmp_path: Path) -> None:
    plugin = create(plugin_env("http://127.0.0.1:9"), host)
    decision = judge(plugin, host, 1608, DOXXING)
    result = plugin.execute(decision, next(a for a in decision.actions if a.kind == "hold"))
    assert (result.status, result.retryable) == ("failed", True)


def test_context_is_fetched_when_not_remembered(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision = judge(plugin, host, 1609, CRISIS)
    host.kv.delete(f"discourse:post:{decision.post.external_id}")
    fake.posts[1609] = {"id": 1609, "topic_id": 77, "post_number": 2, "user_id": 4242, "username": "tired_of_pain"}
    reply = next(a for a in decision.actions if a.kind == "reply")
    assert plugin.execute(decision, reply).status == "done"
    assert fake.admin_calls("GET", "/posts/1609.json")
    (message,) = fake.private_messages()
    assert message["target_recipients"] == "tired_of_pain"
