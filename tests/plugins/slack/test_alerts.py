"""What the plugin posts to the moderators, against the loopback Slack stand-in."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec
from haven.domain import Action, Decision, Post
from haven.moderation.alert import Alert, render_alert
from haven.plugins.host import MemoryKeyValue
from haven.policy import evaluate, load_policy_set
from haven_slack import alerts
from haven_slack.normalise import post_from_message
from haven_slack.plugin import SlackPlugin
from haven_slack.settings import SlackSettings

from tests.plugins.slack.conftest import CHANNEL, MODERATORS, message, slack_env
from tests.plugins.slack.fake_slack import fake_slack

REPO = Path(__file__).resolve().parents[3]
CRISIS = "I'm going to end my life this weekend, I've written the notes already"


class Host:
    def __init__(self) -> None:
        self.kv = MemoryKeyValue()

    def ingest(self, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[str]:
        return [p.decision_id() for p in posts]

    def decision(self, community: str, decision_id: str) -> Decision | None:
        return None

    def record_review(
        self, community: str, decision_id: str, *, outcome: Literal["upheld", "overturned"], moderator: str, note: str
    ) -> bool:
        return False

    def cancel_actions(self, community: str, platform: str, external_id: str) -> int:
        return 0

    def acknowledge(self, community: str, decision_id: str, *, moderator: str) -> bool:
        return False

    def alert(self, decision: Decision, *, locale: str | None = None, text: Mapping[str, str] | None = None) -> Alert:
        return render_alert(decision, LINKS)


LINKS = {name: f"https://haven.example/{name}" for name in ("decision", "review", "acknowledge", "console")}


def test_a_review_flag_run_first_still_posts_the_crisis_alert() -> None:
    community = f"slack-{uuid.uuid4().hex[:8]}"
    post = post_from_message(message(CRISIS), channel=CHANNEL, community=community)
    judged = evaluate(load_policy_set(REPO / "policies"), post, now=datetime.now(UTC), decision_id=post.decision_id())
    assert judged.verdict == "escalate"
    # Another rule of the same decision asked for a review: its task may run before the escalation's.
    flag = Action(kind="flag_for_review")
    decision = msgspec.structs.replace(judged, actions=[flag, *judged.actions])
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    with fake_slack() as slack:
        plugin = SlackPlugin(SlackSettings.from_env(slack_env(slack, community)), Host())
        try:
            assert plugin.execute(decision, flag).status == "done"
            assert plugin.execute(decision, escalate).status == "done"
        finally:
            plugin.close()
        (alert,) = slack.to("chat.postMessage", channel=MODERATORS)
    assert alert.body["text"].startswith("Crisis")


def test_a_rate_limited_request_to_remove_by_hand_is_retried_not_skipped() -> None:
    community = f"slack-{uuid.uuid4().hex[:8]}"
    post = post_from_message(message("cheap followers here"), channel=CHANNEL, community=community)
    judged = evaluate(load_policy_set(REPO / "policies"), post, now=datetime.now(UTC), decision_id=post.decision_id())
    remove = Action(kind="remove")
    decision = msgspec.structs.replace(judged, mode="enforce", actions=[remove])
    with fake_slack() as slack:
        # No admin token: the moderators are asked to remove it, and Slack answers that with a 429.
        plugin = SlackPlugin(SlackSettings.from_env(slack_env(slack, community, admin_token=False)), Host())
        slack.limit("chat.postMessage", "", times=1, retry_after=7)
        try:
            first = plugin.execute(decision, remove)
            again = plugin.execute(decision, remove)
        finally:
            plugin.close()
        asked = slack.to("chat.postMessage", channel=MODERATORS)
    assert (first.status, first.retryable, first.retry_after_seconds) == ("failed", True, 7.0)
    assert again.status == "skipped"
    assert [c.answer["ok"] for c in asked] == [False, True]


def test_a_members_words_in_the_alert_cannot_ping_or_link() -> None:
    community = f"slack-{uuid.uuid4().hex[:8]}"
    post = post_from_message(message(CRISIS), channel=CHANNEL, community=community)
    judged = evaluate(load_policy_set(REPO / "policies"), post, now=datetime.now(UTC), decision_id=post.decision_id())
    match = judged.matches[0]
    evidence = msgspec.structs.replace(match.evidence[0], text="<!channel> <https://x.example|help> & more")
    decision = msgspec.structs.replace(judged, matches=[msgspec.structs.replace(match, evidence=[evidence])])

    blocks = alerts.alert_blocks(render_alert(decision, LINKS), decision, permalink=None)
    (evidence,) = [b["text"] for b in blocks if b["type"] == "section" and "*Evidence*" in b["text"]["text"]]

    assert "&lt;!channel&gt; &lt;https://x.example|help&gt; &amp; more" in evidence["text"]
    assert "<!channel>" not in json.dumps(blocks)
    assert evidence["verbatim"] is True  # nor does Slack link a bare URL or #channel in them


def test_the_alert_names_the_rule_and_remove_asks_for_confirmation() -> None:
    community = f"slack-{uuid.uuid4().hex[:8]}"
    post = post_from_message(message(CRISIS), channel=CHANNEL, community=community)
    decision = evaluate(load_policy_set(REPO / "policies"), post, now=datetime.now(UTC), decision_id=post.decision_id())
    blocks = alerts.alert_blocks(render_alert(decision, LINKS), decision, permalink=None)

    shown = json.dumps(blocks)
    for match in decision.matches:
        assert f"`{match.policy}/{match.rule}`" in shown
    buttons = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert list(buttons) == ["haven_uphold", "haven_overturn", "haven_remove", "haven_acknowledge"]
    confirm = buttons["haven_remove"]["confirm"]
    assert {"title", "text", "confirm", "deny"} <= set(confirm)
    assert all("confirm" not in b for name, b in buttons.items() if name != "haven_remove")
    # Once acknowledged, the alert says by whom and drops the button.
    acked = alerts.alert_blocks(render_alert(decision, LINKS), decision, permalink=None, acknowledged="Acknowledged")
    assert "haven_acknowledge" not in json.dumps(acked)


def test_a_pile_on_alert_in_the_moderators_channel_says_what_the_thread_shows() -> None:
    from haven.policy import InMemoryConversationStore

    community = f"slack-{uuid.uuid4().hex[:8]}"
    policy_set = load_policy_set(REPO / "policies")
    conversations = InMemoryConversationStore()
    root = post_from_message(message("Flare day again, can barely move."), channel=CHANNEL, community=community)
    evaluate(policy_set, root, now=datetime.now(UTC), conversations=conversations)
    replies = ["Get a life, loser.", "Nobody asked for your sob story.", "Shut up, you're pathetic."]
    judged = None
    for n, text in enumerate(replies):
        reply = msgspec.structs.replace(
            post_from_message(message(text), channel=CHANNEL, community=community),
            external_id=f"{root.external_id}.{n}", author=msgspec.structs.replace(root.author, id=f"U-{n}"),
            thread_id=root.external_id, parent_id=root.external_id,
        )  # fmt: skip
        judged = evaluate(policy_set, reply, now=datetime.now(UTC), conversations=conversations)
    assert judged is not None and "community.pile-on" in judged.categories
    # The reply is held as hostile too; the pile-on's flag is about the thread and stays.
    flag = next(a for a in judged.actions if a.kind == "flag_for_review")
    with fake_slack() as slack:
        plugin = SlackPlugin(SlackSettings.from_env(slack_env(slack, community)), Host())
        try:
            assert plugin.execute(judged, flag).status == "done"
        finally:
            plugin.close()
        (alert,) = slack.to("chat.postMessage", channel=MODERATORS)
    section = json.dumps(alert.body["blocks"])
    assert f"*In this thread*: community.pile-on: 3 members replied this way to member {root.author.id}" in section
    assert not alert.body["text"].startswith("Crisis")
    buttons = [e["action_id"] for b in alert.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "haven_acknowledge" not in buttons  # not an escalation: nothing to acknowledge
