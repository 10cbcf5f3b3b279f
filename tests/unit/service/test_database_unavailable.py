"""With the database away, the API answers 503 problem details, not 500."""

from __future__ import annotations

from haven.app import create_app
from haven.config import Settings
from haven.services import build_services
from litestar.testing import TestClient

from tests.unit.service.conftest import TEST_POLICIES


def test_requests_get_503_when_the_database_is_unreachable() -> None:
    settings = Settings.from_env(
        {
            "HAVEN_REDIS_URL": "redis://127.0.0.1:1/0",
            # Nothing listens on port 1: every connection is refused.
            "HAVEN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/haven",
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
        }
    )
    services = build_services(settings)
    try:
        with TestClient(create_app(settings, services)) as client:
            answer = client.get("/v1/decisions", headers={"authorization": "Bearer some-key"})
            assert answer.status_code == 503
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"]
            assert answer.json()["detail"] == "the database is unavailable; try again shortly"
    finally:
        services.close()
