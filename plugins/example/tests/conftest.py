"""Fixtures for the example plugin's tests: a stand-in of the platform on loopback, the
plugin on a RecordingHost (both from haven.plugins.testing, as any plugin's tests can)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from example_platform import SECRET, StandIn, stand_in
from haven.plugins.testing import RecordingHost
from haven_example import ExamplePlugin, create


@pytest.fixture
def platform() -> Iterator[StandIn]:
    with stand_in() as running:
        yield running


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()


@pytest.fixture
def plugin(platform: StandIn, host: RecordingHost) -> Iterator[ExamplePlugin]:
    env = {
        "HAVEN_EXAMPLE_BASE_URL": platform.base_url,
        "HAVEN_EXAMPLE_WEBHOOK_SECRET": SECRET,
        "HAVEN_EXAMPLE_COMMUNITY": "peer-support",
    }
    made = create(env, host)
    yield made
    made.close()
