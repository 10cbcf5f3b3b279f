"""A task that runs again after its worker died mid-way stores nothing twice and still
hands out the webhook deliveries the first run stored but never sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haven.config import ModerationSettings
from haven.domain import Author, Post
from haven.moderation.loop import ModeratorLoop
from haven.pipeline import LivePolicies, Pipeline
from haven.policy import InMemoryCounterStore
from haven.store.migrate import upgrade
from haven.store.sql import SqlStore
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.unit.service.conftest import TEST_POLICIES


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore.from_url(f"sqlite:///{tmp_path / 'haven.db'}")
    upgrade(opened.engine)
    yield opened
    opened.dispose()


def test_a_rerun_hands_out_the_pending_deliveries_again_without_deciding_twice(store: SqlStore) -> None:
    store.create_subscription("g", "http://127.0.0.1:9/hook", ["decision.created", "escalation.created"])
    pipeline = Pipeline(store, LivePolicies(TEST_POLICIES), InMemoryCounterStore())
    post = Post(platform="f", community="g", external_id="1", author=Author(id="a"), body="I will end my life")
    first = pipeline.decide([post], datetime.now(UTC))
    assert [d.verdict for d in first.decisions] == ["escalate"]
    assert sorted(q for _, q in first.deliveries) == ["crisis", "default"]

    # The worker died before sending them: the task runs again.
    again = pipeline.decide([post], datetime.now(UTC))
    assert again.decisions == []
    assert sorted(again.deliveries) == sorted(first.deliveries)

    # Once delivered, a further run hands out nothing.
    for delivery_id, _ in first.deliveries:
        store.record_attempt(
            delivery_id, attempt=1, outcome="delivered", status_code=204, error=None, duration_ms=1, final=True
        )
    assert pipeline.decide([post], datetime.now(UTC)).deliveries == []


def test_a_decision_its_review_item_and_its_escalation_timer_are_stored_together(store: SqlStore) -> None:
    loop = ModeratorLoop.on(store.engine, ModerationSettings())
    pipeline = Pipeline(store, LivePolicies(TEST_POLICIES), InMemoryCounterStore(), loop=loop)

    def crisis(n: int) -> Post:
        return Post(platform="f", community="g", external_id=str(n), author=Author(id="a"), body="I will end my life")

    decided = pipeline.decide([crisis(1)], datetime.now(UTC)).decisions[0]
    assert decided.verdict == "escalate"
    assert loop.queue.get("g", decided.id) is not None
    assert loop.escalations.get("g", decided.id) is not None

    # When the timer cannot be written, nothing of the decision is: the task fails and runs
    # again, rather than leaving an escalation no reminder will ever follow.
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE escalations"))
    post = crisis(2)
    with pytest.raises(OperationalError):
        pipeline.decide([post], datetime.now(UTC))
    assert store.get_decisions([post.decision_id()]) == []
    assert loop.queue.get("g", post.decision_id()) is None


def test_a_stored_decision_reads_back_as_it_was_judged(store: SqlStore) -> None:
    # Its body is a JSON column (written by msgspec): text beyond ASCII, evidence and timings
    # come back unchanged.
    pipeline = Pipeline(store, LivePolicies(TEST_POLICIES), InMemoryCounterStore())
    body = "Ça ne va pas — «I will end my life» tonight 😔, 日本語も"
    post = Post(platform="f", community="g", external_id="7", author=Author(id="a"), body=body)
    decided = pipeline.decide([post], datetime.now(UTC)).decisions[0]
    assert decided.matches, "the crisis rule fires, so the body carries evidence"
    assert store.get_decisions([decided.id]) == [decided]
