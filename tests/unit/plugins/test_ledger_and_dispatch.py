"""The platform-action ledger and the runtime that carries actions out, against the real
PostgreSQL: the services built as a worker builds them (Redis and PostgreSQL, the Slack
plugin on, pointed at the loopback Slack stand-in), decisions made by the real engine
from the repository's policies.

A task may run twice (a worker died after the call); Slack's 429 Retry-After must set the
retry's countdown; a deleted post's pending actions are cancelled and never carried out."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from haven.config import Settings
from haven.domain import Author, Decision, Post
from haven.plugins.dispatch import MAX_ATTEMPTS, PluginRuntime
from haven.plugins.ledger import ActionLedger, action_key
from haven.policy.engine import evaluate
from haven.services import Services, build_services
from haven.store.migrate import upgrade
from haven.store.sql import SqlStore
from haven.webhooks.delivery import backoff_seconds
from haven_slack.plugin import SlackPlugin

from tests.integration.harness import (
    delete_keys,
    haven_env,
    new_key_prefix,
    postgres_database,
    redis_url_for,
)
from tests.plugins.slack.conftest import CHANNEL, MODERATORS, slack_env
from tests.plugins.slack.fake_slack import FakeSlack, fake_slack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
CRISIS = "I'm going to end my life this weekend, I've written the notes already"
BASE_SECONDS = 0.2


@dataclass
class Parts:
    services: Services
    runtime: PluginRuntime
    ledger: ActionLedger
    slack: FakeSlack
    community: str

    def decide(self, text: str, *, user: str | None = None, ts: str | None = None, revision: str = "1") -> Decision:
        """A decision of the real engine on a Slack message, stored as a worker stores it."""
        post = Post(
            platform="slack",
            community=self.community,
            external_id=f"{CHANNEL}:{ts or new_ts()}",
            revision=revision,
            kind="message",
            author=Author(id=user or f"U{uuid.uuid4().hex[:8].upper()}"),
            body=text,
            locale="en-US",
        )
        decision = evaluate(
            self.services.policies.current(), post, now=datetime.now(UTC), decision_id=post.decision_id()
        )
        self.services.store.record_decisions([(decision, None)], [])
        return decision

    def action_id(self, decision: Decision, kind: str) -> str:
        return next(action_key(decision, a) for a in decision.actions if a.kind == kind)


def new_ts() -> str:
    return f"17000{uuid.uuid4().int % 10**5:05d}.{uuid.uuid4().int % 10**6:06d}"


@pytest.fixture(scope="module")
def parts(worker_id: str) -> Iterator[Parts]:
    community = f"ledger-{uuid.uuid4().hex[:8]}"
    redis_url = redis_url_for(worker_id)
    prefix = new_key_prefix()
    with fake_slack() as slack, postgres_database(prefix="haven_ledger") as database:
        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        store.dispose()
        env = haven_env(
            HAVEN_REDIS_URL=redis_url,
            HAVEN_REDIS_KEY_PREFIX=prefix,
            HAVEN_DATABASE_URL=database,
            HAVEN_WEBHOOK_RETRY_BASE_SECONDS=str(BASE_SECONDS),
            **slack_env(slack, community),
        )
        # The plugins read the process environment, as in `haven worker`.
        with pytest.MonkeyPatch.context() as patch:
            for name in [k for k in os.environ if k.startswith("HAVEN_")]:
                patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            services = build_services(Settings.from_env())
        try:
            assert services.platform is not None
            assert isinstance(services.plugins.active.get("slack"), SlackPlugin)
            yield Parts(services, services.platform, services.platform.ledger, slack, community)
        finally:
            services.close()
            delete_keys(redis_url, prefix)


def alerts_for(slack: FakeSlack, decision: Decision) -> list[object]:
    return [c for c in slack.to("chat.postMessage", channel=MODERATORS) if decision.id in str(c.body.get("blocks"))]


def test_planning_a_decision_twice_records_each_action_once(parts: Parts) -> None:
    decision = parts.decide(CRISIS)
    kinds = sorted(a.kind for a in decision.actions)
    assert {"escalate", "reply"} <= set(kinds)

    first = parts.runtime.plan([decision])
    again = parts.runtime.plan([decision])

    assert first == again
    assert sorted(i for i, _ in first) == sorted({action_key(decision, a) for a in decision.actions})
    assert {queue for _, queue in first} == {"crisis"}  # everything decided with an escalation
    recorded = parts.ledger.for_decision(decision.id)
    assert sorted(a.kind for a in recorded) == kinds
    assert {(a.status, a.attempts) for a in recorded} == {("pending", 0)}


def test_an_action_run_twice_is_carried_out_once(parts: Parts) -> None:
    decision = parts.decide(CRISIS)
    parts.runtime.plan([decision])
    alert = parts.action_id(decision, "escalate")

    first = parts.runtime.run_action(alert)
    second = parts.runtime.run_action(alert)

    assert (first.outcome, first.attempt) == ("final", 1)
    assert (second.outcome, second.attempt) == ("final", 0)  # nothing attempted
    assert len(alerts_for(parts.slack, decision)) == 1
    record = parts.ledger.get(alert)
    assert record is not None
    assert (record.status, record.attempts) == ("done", 1)
    assert record.platform_ref is not None and record.platform_ref.startswith(f"{MODERATORS}:")
    assert [a["status"] for a in parts.ledger.attempts(alert)] == ["done"]
    # A decision planned again after its actions were carried out has nothing left to do.
    assert alert not in {i for i, _ in parts.runtime.plan([decision])}


@pytest.mark.parametrize("kind", ["escalate", "reply"])
def test_a_task_redelivered_after_the_platform_call_does_not_act_twice(parts: Parts, kind: str) -> None:
    """The worker carried the action out and died before recording it: the ledger still
    says pending, the task comes back, and the member or the moderators get one message."""
    user = f"UREDELIVER{uuid.uuid4().hex[:6].upper()}"
    decision = parts.decide(CRISIS, user=user)
    parts.runtime.plan([decision])
    action_id = parts.action_id(decision, kind)
    action = next(a for a in decision.actions if action_key(decision, a) == action_id)
    plugin = parts.services.plugins.active["slack"]
    assert plugin.execute(decision, action).status == "done"  # the call that was never recorded

    assert parts.runtime.run_action(action_id).outcome == "final"

    record = parts.ledger.get(action_id)
    assert record is not None and record.status == "done"
    if kind == "escalate":
        assert len(alerts_for(parts.slack, decision)) == 1
    else:
        assert len(parts.slack.to("chat.postEphemeral", user=user)) == 1


def test_retry_after_sets_the_countdown_when_longer_than_the_backoff(parts: Parts) -> None:
    user = f"ULIMITED{uuid.uuid4().hex[:6].upper()}"
    decision = parts.decide(CRISIS, user=user)
    parts.runtime.plan([decision])
    reply = parts.action_id(decision, "reply")
    parts.slack.limit("chat.postEphemeral", user, times=1, retry_after=30)

    attempted = parts.runtime.run_action(reply)

    assert (attempted.outcome, attempted.attempt, attempted.retry_after) == ("retry", 1, 30.0)
    record = parts.ledger.get(reply)
    assert record is not None and (record.status, record.attempts) == ("pending", 1)
    assert [(a["status"], a["detail"]) for a in parts.ledger.attempts(reply)] == [("failed", "ratelimited")]
    # The next attempt goes through.
    assert parts.runtime.run_action(reply).outcome == "final"
    assert [c.answer["ok"] for c in parts.slack.to("chat.postEphemeral", user=user)] == [False, True]


def test_backoff_sets_the_countdown_when_longer_than_retry_after(parts: Parts) -> None:
    user = f"USHORTWAIT{uuid.uuid4().hex[:6].upper()}"
    decision = parts.decide(CRISIS, user=user)
    slow = replace(parts.runtime, retry_base_seconds=5.0)
    slow.plan([decision])
    reply = parts.action_id(decision, "reply")
    parts.slack.limit("chat.postEphemeral", user, times=2, retry_after=1)

    first = slow.run_action(reply)
    second = slow.run_action(reply)

    assert (first.attempt, first.retry_after) == (1, backoff_seconds(1, 5.0))
    assert (second.attempt, second.retry_after) == (2, backoff_seconds(2, 5.0))


def test_a_transient_failure_gives_up_after_the_last_attempt(parts: Parts) -> None:
    user = f"UGIVEUP{uuid.uuid4().hex[:6].upper()}"
    decision = parts.decide(CRISIS, user=user)
    parts.runtime.plan([decision])
    reply = parts.action_id(decision, "reply")
    parts.slack.limit("chat.postEphemeral", user, times=MAX_ATTEMPTS + 5, retry_after=0)

    outcomes = [parts.runtime.run_action(reply).outcome for _ in range(MAX_ATTEMPTS)]

    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["final"]
    record = parts.ledger.get(reply)
    assert record is not None and (record.status, record.attempts) == ("failed", MAX_ATTEMPTS)
    assert parts.runtime.run_action(reply).attempt == 0  # given up: no further call
    assert len(parts.slack.to("chat.postEphemeral", user=user)) == MAX_ATTEMPTS
    community = decision.post.community
    assert [a.id for a in parts.ledger.failed(community)] == [reply]
    # Sent again by an operator (POST /v1/actions/{id}/retry) once the platform recovers.
    parts.slack.limit("chat.postEphemeral", user, times=0, retry_after=0)
    assert not parts.ledger.retry("another-community", reply)
    assert parts.ledger.retry(community, reply)
    assert parts.runtime.run_action(reply).outcome == "final"
    record = parts.ledger.get(reply)
    assert record is not None and record.status == "done"
    assert parts.ledger.failed(community) == []


def test_cancel_stops_the_pending_actions_of_every_revision_and_only_those(parts: Parts) -> None:
    user = f"UCANCEL{uuid.uuid4().hex[:6].upper()}"
    ts = new_ts()
    original = parts.decide(CRISIS, user=user, ts=ts)
    edited = parts.decide(CRISIS + " tonight", user=user, ts=ts, revision="1800000999.000001")
    elsewhere = parts.decide(CRISIS, user=user)  # another message of the same member
    parts.runtime.plan([original, edited, elsewhere])
    done = parts.action_id(original, "escalate")
    parts.runtime.run_action(done)

    cancelled = parts.ledger.cancel(parts.community, "slack", original.post.external_id)

    assert cancelled == len(original.actions) - 1 + len(edited.actions)
    assert {a.status for a in parts.ledger.for_decision(edited.id)} == {"cancelled"}
    statuses = {a.id: a.status for a in parts.ledger.for_decision(original.id)}
    assert statuses.pop(done) == "done"  # what was carried out stays so
    assert set(statuses.values()) == {"cancelled"}
    assert {a.status for a in parts.ledger.for_decision(elsewhere.id)} == {"pending"}
    assert parts.ledger.cancel("another-community", "slack", elsewhere.post.external_id) == 0
    # A cancelled action's task comes back and leaves Slack alone.
    assert parts.runtime.run_action(parts.action_id(original, "reply")).attempt == 0
    assert not parts.slack.to("chat.postEphemeral", user=user)


def test_only_enforced_decisions_on_platforms_whose_plugin_is_on_are_planned(parts: Parts) -> None:
    decision = parts.decide(CRISIS)
    shadow = msgspec.structs.replace(decision, mode="shadow")
    elsewhere = msgspec.structs.replace(decision, post=msgspec.structs.replace(decision.post, platform="mastodon"))

    assert parts.runtime.plan([shadow]) == []
    assert parts.runtime.plan([elsewhere]) == []
    assert parts.ledger.for_decision(decision.id) == []
    assert parts.runtime.plan([decision])


def test_an_alert_being_posted_by_another_run_is_checked_again_not_called_done(parts: Parts) -> None:
    decision = parts.decide(CRISIS)
    plugin = parts.services.plugins.active["slack"]
    assert isinstance(plugin, SlackPlugin)
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    kv = plugin.host.kv
    # Another run holds the right to post this alert and has not finished.
    assert kv.add(f"slack:alerting:{decision.id}", "1", ttl_seconds=60)
    waiting = plugin.execute(decision, escalate)
    assert (waiting.status, waiting.retryable) == ("failed", True)
    assert waiting.retry_after_seconds
    assert alerts_for(parts.slack, decision) == []
    # That run died without posting: once its hold is gone, the retry posts the alert, once.
    kv.delete(f"slack:alerting:{decision.id}")
    assert plugin.execute(decision, escalate).status == "done"
    assert plugin.execute(decision, escalate).status == "done"
    assert len(alerts_for(parts.slack, decision)) == 1
