"""Protected identities through the API in embedded mode (SQLite, evaluation in-process).

The full-mode twin, with Redis, a worker process and PostgreSQL, is
tests/integration/test_protected_identities.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from haven.app import create_app
from haven.config import Settings
from haven.policy.identities import PROTECTED_MASK
from haven.protected_identities import IDENTITIES_TTL_SECONDS
from haven.services import Services
from litestar.testing import TestClient
from sqlalchemy import MetaData, select

from tests.integration.harness import WebhookReceiver, wait_until, webhook_receiver
from tests.unit.service.conftest import TEST_POLICIES

NAME = "Zofia Quellbrook"
# What must never be found in clear: each word of the name, however it was written.
SECRET_WORDS = ("zofia", "quellbrook")


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    """The embedded app of conftest.py, allowed to send webhooks to a receiver on loopback."""
    return Settings.from_env(
        {
            "HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"),
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
            "HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        }
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def app(services: Services) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(services.settings, services)) as running:
        yield running


def admin(services: Services, community: str) -> dict[str, str]:
    secret, _ = services.store.create_api_key(community, ["admin"])
    return {"authorization": f"Bearer {secret}"}


def decide(
    client: TestClient, auth: dict[str, str], community: str, body: str, author: str = "writer"
) -> dict[str, Any]:  # type: ignore[type-arg]
    post = {"platform": "api", "community": community, "external_id": str(time.monotonic_ns()),
            "author": {"id": author}, "body": body}  # fmt: skip
    answer = client.post("/v1/posts", json=post, headers=auth)
    assert answer.status_code == 202, answer.text
    url = answer.json()["url"]
    found = wait_until(lambda: (r := client.get(url, headers=auth).json())["status"] == "decided" and r, timeout=10)
    decision: dict[str, Any] = found["decision"]
    return decision


def rules_of(decision: dict[str, Any]) -> list[str]:
    return sorted(f"{m['policy']}/{m['rule']}" for m in decision["matches"])


def everything_stored(services: Services) -> str:
    """Every row of every table, as text."""
    metadata = MetaData()
    metadata.reflect(services.store.engine)
    rows = []
    with services.store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in connection.execute(select(table))]
    return "\n".join(rows)


def test_a_registered_name_is_held_in_its_community_only_and_never_repeated(
    services: Services,
    app: TestClient,  # type: ignore[type-arg]
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    auth, other = admin(services, "group"), admin(services, "elsewhere")
    path = receiver.new_path()
    hook = app.post("/v1/webhooks", json={"url": receiver.base_url + path, "event_types": ["decision.created"]},
                    headers=auth).json()  # fmt: skip
    receiver.verify_with(path, hook["secret"])

    made = app.post("/v1/protected-identities", json={"names": [NAME, "@quell_z"], "member": "zq"}, headers=auth)
    assert made.status_code == 201, made.text
    registration = made.json()
    assert registration["names"] == 2 and registration["member"] == "zq"
    assert registration["matched_by"] == ["confidentiality/protected-identity"]
    listed = app.get("/v1/protected-identities", headers=auth)
    assert [r["id"] for r in listed.json()] == [registration["id"]]
    assert app.get("/v1/protected-identities", headers=other).json() == []

    held = []
    for text in ("Saw Zofia Quellbrook, who works at the mill",
                 "saw ZOFIA   quellbrook at the pharmacy", "saw zófia\nQuéllbrook today", "@Quell_Z is back"):  # fmt: skip
        decision = decide(app, auth, "group", text)
        assert "confidentiality/protected-identity" in rules_of(decision), text
        assert decision["verdict"] == "hold"
        held.append(decision)
    outed = held[0]
    assert {e["text"] for m in outed["matches"] for e in m["evidence"]} == {
        PROTECTED_MASK,
        f"{PROTECTED_MASK}, who works at",
    }

    # Another community has registered nothing; the member may name themselves.
    assert rules_of(decide(app, other, "elsewhere", "saw Zofia Quellbrook at the pharmacy")) == []
    assert rules_of(decide(app, auth, "group", "Zofia Quellbrook here, hi all", author="zq")) == []

    wait_until(lambda: len(receiver.at(path)) >= len(held), timeout=15)
    assert all(r.verified for r in receiver.at(path))
    sent = "\n".join(r.body.decode() for r in receiver.at(path)).lower()
    assert PROTECTED_MASK.lower() in sent
    stored = everything_stored(services).lower()
    logged = "\n".join(json.dumps({"msg": r.getMessage(), **r.__dict__}, default=str) for r in caplog.records).lower()
    for word in SECRET_WORDS:
        assert word not in sent and word not in stored and word not in logged, word

    # Withdrawn: the name is free again once the lookup's second is up.
    assert app.delete(f"/v1/protected-identities/{registration['id']}", headers=other).status_code == 404
    assert app.delete(f"/v1/protected-identities/{registration['id']}", headers=auth).status_code == 204
    time.sleep(IDENTITIES_TTL_SECONDS + 0.1)
    assert rules_of(decide(app, auth, "group", "saw Zofia Quellbrook at the pharmacy")) == []
    assert app.get("/v1/protected-identities", headers=auth).json() == []


def test_bad_registrations_are_problem_details(services: Services, app: TestClient) -> None:  # type: ignore[type-arg]
    auth = admin(services, "group")
    for body, pointer in (
        ({"names": ["one two three four five"]}, "/names/0"),
        ({"names": ["ok", "@"]}, "/names/1"),
    ):
        answer = app.post("/v1/protected-identities", json=body, headers=auth)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["pointer"] == pointer
        assert "five" not in answer.text
    for body in ({"names": []}, {"names": ["x" * 201]}, {"name": "x"}):
        assert app.post("/v1/protected-identities", json=body, headers=auth).status_code == 400
    ingest, _ = services.store.create_api_key("group", ["ingest", "read"])
    refused = app.post("/v1/protected-identities", json={"names": ["x"]}, headers={"authorization": f"Bearer {ingest}"})
    assert refused.status_code == 403
