"""Embedded mode: a post that fails in every attempt is parked without holding the
posts sent with it, listed, and decided once sent again after the cause is gone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from haven.app import create_app
from haven.config import Settings
from haven.services import build_services
from litestar.testing import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import text

from tests.unit.service.conftest import TEST_POLICIES


def wait_for(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)
    return found


def test_a_post_failing_every_attempt_is_parked_and_can_be_sent_again(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"),
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
            "HAVEN_TASK_MAX_ATTEMPTS": "3",
            "HAVEN_TASK_RETRY_BASE_SECONDS": "0.05",
        }
    )
    services = build_services(settings)
    secret, _ = services.store.create_api_key("g", ["admin"])
    auth = {"authorization": f"Bearer {secret}"}
    # SQLite itself refuses this one post's decision, as a database refuses what it cannot keep.
    with services.store.engine.begin() as db:
        db.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON decisions WHEN NEW.external_id = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        )
    posts = [
        {"platform": "f", "community": "g", "external_id": name, "author": {"id": "a"}, "body": "you idiot"}
        for name in ("poison", "ordinary")
    ]
    parked_before = REGISTRY.get_sample_value("haven_posts_parked_total") or 0.0
    with TestClient(create_app(settings, services)) as client:
        poison, ordinary = (
            i["id"] for i in client.post("/v1/posts/batch", json={"posts": posts}, headers=auth).json()["items"]
        )

        def status(decision_id: str) -> dict[str, Any]:
            found: dict[str, Any] = client.get(f"/v1/decisions/{decision_id}", headers=auth).json()
            return found

        wait_for(lambda: status(ordinary)["status"] == "decided")
        failed = wait_for(lambda: status(poison)["status"] == "failed" and status(poison))
        assert failed["reason"] == "IntegrityError: IntegrityError"
        parked = client.get("/v1/posts/parked", headers=auth).json()["items"]
        assert [(p["id"], p["attempts"]) for p in parked] == [(poison, 3)]
        assert REGISTRY.get_sample_value("haven_posts_parked_total") == parked_before + 1
        with services.store.engine.begin() as db:
            db.execute(text("DROP TRIGGER refuse"))
        assert client.post(f"/v1/posts/parked/{poison}/retry", headers=auth).status_code == 202
        wait_for(lambda: status(poison)["status"] == "decided")
        assert client.get("/v1/posts/parked", headers=auth).json()["items"] == []
