"""Fixtures for the Discourse plugin: a loopback fake Discourse, the plugin on it, and an
in-process host that judges ingested posts with the real policy engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from haven.plugins.testing import RecordingHost
from haven.policy import PolicySet, load_policy_set
from haven_discourse import DiscoursePlugin, create
from haven_discourse.config import instance_host

from tests.plugins.discourse.fake_discourse import API_KEY, API_USERNAME, FakeDiscourse, fake_discourse
from tests.plugins.discourse.payloads import SECRET

REPO = Path(__file__).resolve().parents[3]


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
def host(default_policies: PolicySet) -> RecordingHost:
    """Judges each ingested post at once with the real engine and the default pack."""
    return RecordingHost(policy_set=default_policies)


@pytest.fixture
def plugin(fake: FakeDiscourse, host: RecordingHost) -> Iterator[DiscoursePlugin]:
    made = create(plugin_env(fake.base_url), host)
    yield made
    made.close()
