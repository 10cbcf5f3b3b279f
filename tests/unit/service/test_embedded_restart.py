"""Embedded mode: posts accepted but not decided when the process stopped are decided
after it starts again, and posts whose evaluation failed are tried again meanwhile."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from haven import embedded
from haven.app import create_app
from haven.config import Settings
from haven.services import Services, build_services
from litestar.testing import TestClient

from tests.unit.service.conftest import TEST_POLICIES, attempt_failing_once, failing_first


def test_posts_accepted_before_a_stop_are_decided_after_the_next_start(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"), "HAVEN_POLICY_DIR": str(TEST_POLICIES)}
    )
    stopped = build_services(settings)
    secret, _ = stopped.store.create_api_key("g", ["admin"])
    auth = {"authorization": f"Bearer {secret}"}
    post = {"platform": "f", "community": "g", "external_id": "1", "author": {"id": "a"}, "body": "you idiot"}
    # Accepted by an app whose runner never starts (as if the process died at once).
    stopped.work.start = lambda: None  # type: ignore[method-assign]
    with TestClient(create_app(settings, stopped)) as client:
        url = client.post("/v1/posts", json=post, headers=auth).json()["url"]
        assert client.get(url, headers=auth).json()["status"] == "pending"

    restarted = build_services(settings)
    with TestClient(create_app(settings, restarted)) as client:
        deadline = time.monotonic() + 10
        while (found := client.get(url, headers=auth).json())["status"] != "decided":
            assert time.monotonic() < deadline, found
            time.sleep(0.02)
        assert found["decision"]["verdict"] == "hold"
    assert restarted.store.pending_posts() == []
    restarted.store.dispose()


def test_posts_whose_evaluation_fails_stay_pending_and_are_tried_again(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedded, "RETRY_SECONDS", 0.05)
    pipeline = services.work._pipeline  # type: ignore[attr-defined]
    calls: list[Any] = []
    monkeypatch.setattr(pipeline, "decide", failing_first(2, pipeline.decide, calls))
    post = {"platform": "f", "community": "group", "external_id": "1", "author": {"id": "a"}, "body": "you idiot"}
    url = client.post("/v1/posts", json=post, headers=auth).json()["url"]
    deadline = time.monotonic() + 10
    while (found := client.get(url, headers=auth)).json().get("status") != "decided":
        assert found.status_code == 200, found.text
        assert time.monotonic() < deadline, found.text
        time.sleep(0.02)
    assert len(calls) == 3
    # The runner releases the held post just after storing its decision: wait for that too.
    while services.store.pending_posts():
        assert time.monotonic() < deadline, services.store.pending_posts()
        time.sleep(0.02)


def test_a_webhook_whose_attempt_raises_is_tried_again(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedded, "RETRY_SECONDS", 0.05)
    calls: list[str] = []

    monkeypatch.setattr(embedded, "attempt_delivery", attempt_failing_once(calls))
    services.work.deliver(["msg_1"], queue="default")
    deadline = time.monotonic() + 10
    while len(calls) < 2:
        assert time.monotonic() < deadline, calls
        time.sleep(0.02)
    assert calls == ["msg_1", "msg_1"]
