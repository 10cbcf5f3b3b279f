"""With Redis away, the API refuses posts with 503 and says it is not ready."""

from __future__ import annotations

from pathlib import Path

from haven.app import create_app
from haven.config import Settings
from haven.services import build_services
from haven.store.migrate import upgrade
from litestar.testing import TestClient

from tests.unit.service.conftest import TEST_POLICIES


def test_posts_are_refused_with_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HAVEN_REDIS_URL": "redis://127.0.0.1:1/0",
            "HAVEN_DATABASE_URL": f"sqlite:///{tmp_path / 'haven.db'}",
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
        }
    )
    services = build_services(settings)
    upgrade(services.store.engine)
    secret, _ = services.store.create_api_key("g", ["admin"])
    post = {"platform": "f", "community": "g", "external_id": "1", "author": {"id": "a"}, "body": "hi"}
    with TestClient(create_app(settings, services)) as client:
        refused = client.post("/v1/posts", json=post, headers={"authorization": f"Bearer {secret}"})
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["failing"] == ["queue"]
    services.store.dispose()
