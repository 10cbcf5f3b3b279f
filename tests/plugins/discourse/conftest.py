"""Fixtures for the Discourse plugin: a loopback fake Discourse, the plugin on it, and an
in-process host that judges ingested posts with the real policy engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from haven.domain import Decision, Post
from haven.policy import PolicySet, evaluate, load_policy_set
from haven_discourse import DiscoursePlugin, create
from haven_discourse.config import instance_host

from tests.plugins.discourse.fake_discourse import API_KEY, API_USERNAME, FakeDiscourse, fake_discourse
from tests.plugins.discourse.payloads import SECRET

try:
    from haven.plugins.host import MemoryKeyValue
except ImportError:  # the service's wiring is not there yet
    MemoryKeyValue = None  # type: ignore[assignment,misc]

REPO = Path(__file__).resolve().parents[3]


class DictKeyValue:
    """The KeyValue protocol in a dict (used only when the service's MemoryKeyValue is absent)."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.items.get(key)

    def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None:
        self.items[key] = value

    def add(self, key: str, value: str, *, ttl_seconds: int | None = None) -> bool:
        if key in self.items:
            return False
        self.items[key] = value
        return True

    def delete(self, key: str) -> None:
        self.items.pop(key, None)


class EngineHost:
    """A PluginHost that judges each ingested post at once with the real engine."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.kv = MemoryKeyValue() if MemoryKeyValue is not None else DictKeyValue()
        self.policy_set = policy_set
        self.posts: list[Post] = []
        self.decisions: dict[str, Decision] = {}
        self.cancelled: list[tuple[str, str, str]] = []

    def ingest(self, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[str]:
        ids = []
        for post in posts:
            self.posts.append(post)
            decision = evaluate(self.policy_set, post, now=datetime.now(UTC))
            self.decisions[decision.id] = decision
            ids.append(decision.id)
        return ids

    def decision(self, community: str, decision_id: str) -> Decision | None:
        return self.decisions.get(decision_id)

    def record_review(
        self, community: str, decision_id: str, *, outcome: Literal["upheld", "overturned"], moderator: str, note: str
    ) -> bool:
        return decision_id in self.decisions

    def cancel_actions(self, community: str, platform: str, external_id: str) -> int:
        self.cancelled.append((community, platform, external_id))
        return 0


@pytest.fixture(scope="session")
def default_policies() -> PolicySet:
    return load_policy_set(REPO / "policies")


@pytest.fixture
def fake() -> Iterator[FakeDiscourse]:
    with fake_discourse() as server:
        yield server


def plugin_env(base_url: str, **overrides: str) -> dict[str, str]:
    instance = instance_host(base_url)
    env = {
        "HAVEN_DISCOURSE_WEBHOOK_SECRET": SECRET,
        "HAVEN_DISCOURSE_BASE_URL": base_url,
        "HAVEN_DISCOURSE_API_KEY": API_KEY,
        "HAVEN_DISCOURSE_API_USERNAME": API_USERNAME,
        "HAVEN_DISCOURSE_COMMUNITIES": f"{instance}/12=chronic-pain, {instance}/grief=grief",
        "HAVEN_DISCOURSE_MODERATORS_GROUP": "moderators",
        "HAVEN_DISCOURSE_MAX_WAIT_SECONDS": "2",
        "HAVEN_DISCOURSE_LOCALE": "en-US",
    }
    env.update(overrides)
    return env


@pytest.fixture
def host(default_policies: PolicySet) -> EngineHost:
    return EngineHost(default_policies)


@pytest.fixture
def plugin(fake: FakeDiscourse, host: EngineHost) -> Iterator[DiscoursePlugin]:
    made = create(plugin_env(fake.base_url), host)
    yield made
    made.close()
