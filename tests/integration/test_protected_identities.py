"""Protected identities in full mode: the real API, Redis, a `haven worker` process and PostgreSQL.

The worker sees a registration and a withdrawal without a restart, and the
name appears in no table, no log line of either process and no webhook.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from haven.policy.identities import PROTECTED_MASK
from haven.protected_identities import IDENTITIES_TTL_SECONDS
from haven.store.sql import SqlStore
from sqlalchemy import MetaData, select

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import HavenProcess, WebhookReceiver, start_api, wait_until
from tests.integration.test_pipeline_end_to_end import a_post, decided, subscribe

pytestmark = pytest.mark.integration

NAME = "Ignatius Vembergrove"
SECRET_WORDS = ("ignatius", "vembergrove")


@pytest.fixture
def own_api(service_env: dict[str, str], worker: WorkerHandle, tmp_path: Path) -> Iterator[tuple[str, HavenProcess]]:
    """An API process of this test's own, so its log holds this test's requests only."""
    process, base = start_api(service_env, tmp_path / "api.log")
    yield base, process
    process.stop()


def client(base: str, store: SqlStore, community: str) -> httpx.Client:
    secret, _ = store.create_api_key(community, ["admin"])
    return httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10)


def rules_of(api: httpx.Client, community: str, body: str, author: str = "writer") -> list[str]:
    accepted = api.post("/v1/posts", json=a_post(community, body, author={"id": author}))
    assert accepted.status_code == 202, accepted.text
    decision = decided(api, accepted.json()["id"])["decision"]
    return sorted(f"{m['policy']}/{m['rule']}" for m in decision["matches"])


def everything_stored(store: SqlStore) -> str:
    metadata = MetaData()
    metadata.reflect(store.engine)
    with store.engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(select(table))
        )


def test_a_registered_name_is_held_in_its_community_by_the_worker_and_never_repeated(
    own_api: tuple[str, HavenProcess],
    store: SqlStore,
    worker: WorkerHandle,
    receiver: WebhookReceiver,
    community: str,
) -> None:
    base, api_process = own_api
    elsewhere = community + "-elsewhere"
    with client(base, store, community) as api, client(base, store, elsewhere) as other:
        path = subscribe(api, receiver, "decision.created")
        # The worker has judged this community before the registration: it must notice the new one.
        assert rules_of(api, community, "saw Ignatius Vembergrove at the pharmacy") == []

        made = api.post("/v1/protected-identities", json={"names": [NAME], "member": "iv"})
        assert made.status_code == 201, made.text
        assert made.json()["matched_by"] == ["confidentiality/protected-identity"]
        time.sleep(IDENTITIES_TTL_SECONDS + 0.1)

        for text in ("saw Ignatius Vembergrove at the pharmacy", "saw IGNATIUS  vembergrove again",
                     "saw ígnatius\nVembergróve today"):  # fmt: skip
            assert rules_of(api, community, text) == ["confidentiality/protected-identity"], text
        assert rules_of(other, elsewhere, "saw Ignatius Vembergrove at the pharmacy") == []
        assert rules_of(api, community, "Ignatius Vembergrove here, hello", author="iv") == []

        deliveries = wait_until(lambda: len(receiver.at(path)) >= 3 and receiver.at(path))
        assert all(d.verified for d in deliveries)
        sent = "\n".join(d.body.decode() for d in deliveries).lower()
        assert PROTECTED_MASK.lower() in sent

        registration = made.json()["id"]
        assert api.delete(f"/v1/protected-identities/{registration}").status_code == 204
        time.sleep(IDENTITIES_TTL_SECONDS + 0.1)
        assert rules_of(api, community, "saw Ignatius Vembergrove at the pharmacy") == []

    stored = everything_stored(store).lower()
    logged = (api_process.logs() + worker.logs.read_text(errors="replace")).lower()
    for word in SECRET_WORDS:
        assert word not in sent and word not in stored and word not in logged, word
