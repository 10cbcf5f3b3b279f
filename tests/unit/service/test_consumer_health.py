"""/readyz shows each plugin consumer's health, as the process running it reports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from haven.app import create_app
from haven.config import Settings
from haven.services import build_services
from litestar.testing import TestClient


@pytest.fixture
def with_example(embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Embedded, with the example plugin on and its platform unreachable (nothing listens on
    port 9 of loopback): `haven serve` runs its stream consumer, which keeps failing."""
    monkeypatch.setenv("HAVEN_EXAMPLE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HAVEN_EXAMPLE_WEBHOOK_SECRET", "secret")
    monkeypatch.setenv("HAVEN_EXAMPLE_COMMUNITY", "group")
    services = build_services(embedded_settings)
    with TestClient(create_app(services.settings, services)) as running:
        yield running
    services.store.dispose()


def test_readyz_shows_a_failing_consumer_and_why(with_example: TestClient) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 20
    while True:
        ready: dict[str, Any] = with_example.get("/readyz").json()
        stream = ready["consumers"]["example/stream"]
        if stream["restarts"] >= 1:
            break
        assert time.monotonic() < deadline, ready
        time.sleep(0.05)
    assert stream["state"] in ("restarting", "running")
    assert stream["last_error"] == "ConnectError"
    assert ready["status"] == "ready"  # a consumer down does not take the API out of service
    assert "example" in ready["plugins_on"]


def test_readyz_lists_no_consumer_when_no_plugin_has_one(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/readyz").json()["consumers"] == {}
