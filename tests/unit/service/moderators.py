"""A running embedded Haven for the moderators' loop tests: its settings, a client with an
admin key, and the events a webhook receiver verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haven.config import Settings
from haven.services import Services
from litestar.testing import TestClient

from tests.integration.harness import WebhookReceiver, wait_until

TEST_POLICIES = Path(__file__).resolve().parents[2] / "integration" / "policies"
CRISIS = "I am going to end my life tonight"


def loop_settings(folder: Path, **overrides: str) -> Settings:
    return Settings.from_env(
        {
            "HAVEN_EMBEDDED_DB_PATH": str(folder / "haven.db"),
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
            "HAVEN_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
            "HAVEN_ESCALATION_SWEEP_SECONDS": "0.1",
            "HAVEN_PUBLIC_URL": "https://haven.example.org",
            # The receiver listens on loopback, which Haven refuses unless allowed.
            "HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            **overrides,
        }
    )


class Running:
    def __init__(self, client: TestClient, services: Services, secret: str) -> None:  # type: ignore[type-arg]
        self.client = client
        self.services = services
        self.auth = {"authorization": f"Bearer {secret}"}

    def post(self, external_id: str, body: str) -> str:
        post = {"platform": "f", "community": "g", "external_id": external_id, "author": {"id": "a"}, "body": body}
        decision_id: str = self.client.post("/v1/posts", json=post, headers=self.auth).json()["id"]
        wait_until(
            lambda: self.client.get(f"/v1/decisions/{decision_id}", headers=self.auth).json()["status"] == "decided"
        )
        return decision_id

    def subscribe(self, hooks: WebhookReceiver, *event_types: str) -> str:
        path = hooks.new_path()
        made = self.client.post(
            "/v1/webhooks", json={"url": hooks.base_url + path, "event_types": list(event_types)}, headers=self.auth
        ).json()
        hooks.verify_with(path, made["secret"])
        return path


def events(hooks: WebhookReceiver, path: str, event_type: str) -> list[dict[str, Any]]:
    return [r.payload["data"] for r in hooks.at(path) if r.verified and r.payload["type"] == event_type]
