"""Fixtures for tests against the real parts: Redis, PostgreSQL, a `haven worker`
process, a `haven serve` process and a webhook receiver that verifies signatures.

Reuse them in plugin tests: ask for `api` (a client with an admin key of a
fresh community), `receiver`, `store`, `service_env`, or the lower-level ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from haven.store.migrate import upgrade
from haven.store.sql import SqlStore

from tests.integration.harness import (
    HavenProcess,
    WebhookReceiver,
    delete_keys,
    full_mode_env,
    new_key_prefix,
    postgres_database,
    redis_cluster,
    redis_url_for,
    start_api,
    start_worker,
    webhook_receiver,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def redis_url(worker_id: str) -> str:
    """A Redis database of this xdist worker's own (5, 6, …)."""
    return redis_url_for(worker_id)


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis Cluster of three primaries of this xdist worker's own, for the state's keys."""
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """This session's prefix of every Redis key, so that concurrent test sessions never
    take each other's tasks; its keys are deleted at the end."""
    prefix = new_key_prefix()
    yield prefix
    delete_keys(redis_url, prefix)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for the session, migrated to head; dropped at the end."""
    with postgres_database() as url:
        store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        store.dispose()
        yield url


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database (no tables) for this test only."""
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def store(postgres_url: str) -> Iterator[SqlStore]:
    opened = SqlStore.from_url(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def service_env(
    redis_url: str, redis_key_prefix: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment of this session's `haven` processes (full mode). Escalations are reminded
    within seconds, not minutes, whenever a test runs `haven scheduler`."""
    return full_mode_env(
        redis_url,
        redis_key_prefix,
        postgres_url,
        tmp_path_factory.mktemp("haven"),
        HAVEN_ESCALATION_ACK_SECONDS="1.5",
        HAVEN_ESCALATION_REMINDERS="2",
        HAVEN_ESCALATION_SWEEP_SECONDS="0.3",
    )


class WorkerHandle:
    """The session's `haven worker`; a test may stop it and must `restart()` it."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.process: HavenProcess = start_worker(env, logs)

    def restart(self) -> None:
        self.process.stop()
        self.process = start_worker(self.env, self.logs)

    def replace(self, process: HavenProcess) -> None:
        """Make `process` the session's worker (the old one must be stopped)."""
        self.process = process


@pytest.fixture(scope="session")
def worker(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerHandle]:
    handle = WorkerHandle(service_env, tmp_path_factory.mktemp("worker") / "worker.log")
    yield handle
    handle.process.stop()


@pytest.fixture(scope="session")
def api_server(
    service_env: dict[str, str], worker: WorkerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a `haven serve` process on a free port, with its worker running."""
    process, base = start_api(service_env, tmp_path_factory.mktemp("api") / "api.log")
    yield base
    process.stop()


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def community() -> str:
    return f"community-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def api(api_server: str, store: SqlStore, community: str) -> Iterator[httpx.Client]:
    """A client of the running API with an admin key of a fresh community."""
    secret, _ = store.create_api_key(community, ["admin"])
    with httpx.Client(base_url=api_server, headers={"authorization": f"Bearer {secret}"}, timeout=10) as client:
        yield client
