"""Embedded mode: posts accepted but not decided when the process stopped are decided
after it starts again."""

from __future__ import annotations

import time
from pathlib import Path

from litestar.testing import TestClient

from service.app import create_app
from service.config import Settings
from service.services import build_services
from tests.unit.service.conftest import TEST_POLICIES


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
