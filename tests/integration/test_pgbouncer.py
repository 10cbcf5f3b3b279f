"""Haven behind PgBouncer in transaction mode: the pooler docs/capacity.md puts in front of
PostgreSQL at volume. Each transaction gets any of the pooler's server connections, so a
statement that psycopg prepared on one (it prepares what a connection runs five times) is
missing, or already there, on the next; HAVEN_DATABASE_PREPARED_STATEMENTS=false turns
preparing off. Debian's pgbouncer 1.18, which scripts/test installs when it is missing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from haven.config import DatabaseSettings
from haven.domain import Decision, PostRef
from haven.store.sql import SqlStore

from tests.integration.harness import full_mode_env, new_key_prefix, pgbouncer, run_haven, start_api, start_worker
from tests.integration.test_pipeline_end_to_end import HOSTILE, a_post, decided


@pytest.fixture
def pooled_url(postgres_url: str) -> Iterator[str]:
    with pgbouncer(postgres_url) as url:
        yield url


def errors_under_load(store: SqlStore, threads: int = 4, rounds: int = 30) -> list[str]:
    """Decisions stored and read back from several threads at once, so every statement of
    the path runs more than five times on each of several connections; the errors met."""
    community = f"pooled-{uuid.uuid4().hex[:8]}"
    errors: list[str] = []

    def work() -> None:
        try:
            for n in range(rounds):
                made = Decision(
                    id=str(uuid.uuid4()),
                    post=PostRef(platform="t", community=community, external_id=uuid.uuid4().hex, revision="1",
                                 kind="post", author_id="a"),
                    policy_version="v", verdict="allow", mode="enforce", matches=[],
                )  # fmt: skip
                made.timings.decided_at = datetime.now(UTC)
                store.record_decisions([(made, None)], [])
                assert store.get_decision(community, made.id) is not None, n
        except Exception as exc:
            errors.append(type(exc).__name__)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return errors


def test_behind_a_transaction_pooler_the_store_works_with_statements_left_unprepared(pooled_url: str) -> None:
    # What the setting is for: with psycopg's prepared statements the pooler's connections clash.
    prepared = SqlStore.from_settings(DatabaseSettings(url=pooled_url))
    try:
        assert errors_under_load(prepared)
    finally:
        prepared.dispose()
    unprepared = SqlStore.from_settings(DatabaseSettings(url=pooled_url, prepared_statements=False))
    try:
        assert errors_under_load(unprepared) == []
    finally:
        unprepared.dispose()


def test_the_service_decides_through_the_pooler(pooled_url: str, redis_url: str, tmp_path: Path) -> None:
    env = full_mode_env(redis_url, new_key_prefix(), pooled_url, tmp_path, HAVEN_DATABASE_PREPARED_STATEMENTS="false")
    assert run_haven("migrate", env=env).returncode == 0
    made = run_haven("keys", "create", "pooled", "--scope", "admin", env=env)
    assert made.returncode == 0, made.stderr
    worker = start_worker(env, tmp_path / "worker.log")
    api_process, base = start_api(env, tmp_path / "api.log")
    try:
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {made.stdout.strip()}"}) as api:
            ids = [api.post("/v1/posts", json=a_post("pooled", HOSTILE)).json()["id"] for _ in range(12)]
            assert {decided(api, i)["decision"]["verdict"] for i in ids} == {"hold"}
        assert "prepared statement" not in worker.logs() + api_process.logs()
    finally:
        api_process.stop()
        worker.stop()
