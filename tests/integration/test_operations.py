"""What an operator runs: migrations, keys, health probes, embedded mode, reloads, purges."""

from __future__ import annotations

import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from haven.counters_redis import RedisCounterStore
from haven.domain import Decision, Match, PostRef
from haven.policy.counters import InMemoryCounterStore
from haven.state_redis import StateRedis
from haven.store.migrate import upgrade
from haven.store.records import NewDelivery
from haven.store.sql import SqlStore, hash_key
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis.cluster import RedisCluster
from sqlalchemy import bindparam, event, text

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import (
    REDIS_HOST,
    TEST_POLICIES,
    WebhookReceiver,
    delete_keys,
    free_port,
    haven_env,
    new_key_prefix,
    run_haven,
    start_api,
    start_scheduler,
    start_worker,
    wait_until,
)
from tests.integration.test_pipeline_end_to_end import CRISIS, HOSTILE, a_post, decided, subscribe

pytestmark = pytest.mark.integration
# A Redis database apart from the xdist workers' (5 to 12), for a state Redis of its own.
STATE_REDIS_DB = 13


def test_migrate_creates_the_schema_and_is_idempotent(fresh_postgres_url: str) -> None:
    env = haven_env(HAVEN_DATABASE_URL=fresh_postgres_url)
    for _ in range(2):
        done = run_haven("migrate", env=env)
        assert done.returncode == 0, done.stderr
    with psycopg.connect(fresh_postgres_url) as db:
        tables = {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"decisions", "api_keys", "reviews", "webhook_deliveries", "webhook_attempts"} <= tables


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(
    postgres_url: str, store: SqlStore, community: str
) -> None:
    made = run_haven(
        "keys", "create", community, "--scope", "ingest", "--scope", "read",
        env=haven_env(HAVEN_DATABASE_URL=postgres_url),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("hvn_")
    found = store.find_api_key(secret)
    assert found is not None
    assert found.community == community
    assert found.scopes == ("ingest", "read")
    with psycopg.connect(postgres_url) as db:
        stored = db.execute("SELECT key_hash FROM api_keys WHERE id = %s", (found.id,)).fetchone()
    assert stored == (hash_key(secret),)


def test_health_worker_is_healthy_while_the_worker_beats(
    worker: WorkerHandle, service_env: dict[str, str], tmp_path: Path
) -> None:
    assert run_haven("health", "worker", "--max-age", "30", env=service_env).returncode == 0
    missing = {**service_env, "HAVEN_WORKER_HEARTBEAT_FILE": str(tmp_path / "none")}
    assert run_haven("health", "worker", env=missing).returncode == 1


def test_a_bad_setting_stops_the_start_with_the_variable_named() -> None:
    failed = run_haven("serve", env=haven_env(HAVEN_PORT="eighty"))
    assert failed.returncode == 2
    assert "HAVEN_PORT" in failed.stderr
    failed = run_haven("serve", env=haven_env(HAVEN_REDIS_URL="redis://127.0.0.1:6379/5"))
    assert failed.returncode == 2
    assert "HAVEN_DATABASE_URL" in failed.stderr


def test_embedded_mode_says_so_and_decides_in_process_and_delivers_webhooks(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    env = haven_env(HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"))
    made = run_haven("keys", "create", "embedded-community", "--scope", "admin", env=env)
    assert made.returncode == 0, made.stderr
    process, base = start_api(env, tmp_path / "serve.log")
    try:
        assert "running embedded" in process.logs()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {made.stdout.strip()}"}) as api:
            path = subscribe(api, receiver, "escalation.created")
            accepted = api.post("/v1/posts", json=a_post("embedded-community", CRISIS)).json()
            assert decided(api, accepted["id"])["decision"]["verdict"] == "escalate"
            delivery = wait_until(lambda: receiver.at(path))[0]
            assert delivery.verified
            assert httpx.get(base + "/readyz").json()["mode"] == "embedded"
    finally:
        process.stop()


def test_policies_reload_when_their_files_change_and_decisions_record_the_version(
    tmp_path: Path,
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(TEST_POLICIES, policies)
    env = haven_env(HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"), HAVEN_POLICY_DIR=str(policies))
    secret = run_haven("keys", "create", "reload", env=env).stdout.strip()
    process, base = start_api(env, tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}) as api:
            before = decided(api, api.post("/v1/posts", json=a_post("reload", HOSTILE)).json()["id"])
            assert before["decision"]["verdict"] == "hold"
            community = policies / "community.yaml"
            community.write_text(community.read_text().replace("- hold", "- remove"))

            def verdict_now() -> dict[str, str] | None:
                found = decided(api, api.post("/v1/posts", json=a_post("reload", HOSTILE)).json()["id"])
                return found["decision"] if found["decision"]["verdict"] == "remove" else None

            after = wait_until(verdict_now, interval=0.3)
            assert after["policy_version"] != before["decision"]["policy_version"]
    finally:
        process.stop()


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_retention_purge_removes_what_is_older_than_the_window_a_chunk_at_a_time(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every decision and delivery older than the window goes, decisions with their
    categories, and every newer one stays; no transaction deletes more than a chunk of a
    table's rows."""
    if database == "sqlite":
        store = SqlStore.from_url(f"sqlite:///{tmp_path / 'haven.db'}")
        upgrade(store.engine)
    else:
        store = request.getfixturevalue("store")
    community = f"purge-{time.time_ns()}"
    subscription = store.create_subscription(community, "http://127.0.0.1:9/hook", ["decision.created"])
    now = datetime.now(UTC)

    def decision(n: int, age: timedelta) -> Decision:
        made = Decision(
            id=str(uuid.uuid4()),
            post=PostRef(platform="t", community=community, external_id=str(n), revision="1", kind="post",
                         author_id="a"),
            policy_version="v", verdict="hold", mode="enforce",
            matches=[Match(policy="p", rule="r", category="confidentiality.contact", severity="high",
                           mode="enforce", verdict="hold", evidence=[])],
        )  # fmt: skip
        made.timings.decided_at = now - age
        return made

    def delivery(made: Decision) -> NewDelivery:
        return NewDelivery(id=str(uuid.uuid4()), subscription_id=subscription.id, community=community,
                           event_type="decision.created", payload="{}", ingested_at=None, decision_id=made.id)  # fmt: skip

    old = [decision(n, timedelta(days=100)) for n in range(25)]
    new = [decision(100 + n, timedelta(days=1)) for n in range(3)]
    sent = {d.id: delivery(d) for d in old + new}
    store.record_decisions([(d, None) for d in old + new], list(sent.values()))
    old_deliveries = [sent[d.id].id for d in old]
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE webhook_deliveries SET created_at = :at WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"at": now - timedelta(days=100), "ids": old_deliveries},
        )

    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(store.engine, "commit", committed)
    try:
        counts = store.purge(now - timedelta(days=90), chunk=10)
    finally:
        event.remove(store.engine, "commit", committed)
    assert counts.decisions >= len(old)
    assert counts.deliveries >= len(old)
    assert all(store.get_decision(community, d.id) is None for d in old)
    assert all(store.get_decision(community, d.id) is not None for d in new)
    # 25 rows of each table by tens: three transactions at least for each of the two.
    assert len(commits) >= 6
    with store.engine.connect() as connection:
        for table, column in (("decision_categories", "decision_id"), ("webhook_deliveries", "decision_id")):
            left = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column} IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": [d.id for d in old + new]},
            ).scalar_one()
            assert left == len(new), table
    if database == "sqlite":
        store.dispose()


def test_logs_carry_ids_and_never_the_post_text(
    api: httpx.Client, community: str, worker: WorkerHandle, tmp_path_factory: pytest.TempPathFactory
) -> None:
    marker = f"zebra{time.time_ns()} you idiot"
    accepted = api.post("/v1/posts", json=a_post(community, marker)).json()
    decided(api, accepted["id"])
    worker_logs = worker.process.logs()
    assert accepted["id"] in worker_logs
    assert "zebra" not in worker_logs
    api_logs = "".join(p.read_text() for p in tmp_path_factory.getbasetemp().rglob("api.log"))
    assert accepted["id"] in api_logs
    assert "zebra" not in api_logs


def test_redis_counters_count_each_post_once_within_the_window(redis_url: str) -> None:
    counters = RedisCounterStore(redis.Redis.from_url(redis_url), prefix=f"test:{time.time_ns()}", keep_seconds=86400)
    now = datetime.now(UTC)
    for _ in range(2):
        counters.record("c", "a", "community.hostility", "post-1", now)
    counters.record("c", "a", "community.spam", "post-2", now - timedelta(hours=2))
    counters.record("c", "a", "crisis.suicide", "post-3", now)
    assert counters.count("c", "a", "community", now - timedelta(hours=3)) == 2
    assert counters.count("c", "a", "community", now - timedelta(hours=1)) == 1
    assert counters.count("c", "a", "community", now - timedelta(hours=3), exclude_member="post-1") == 1
    assert counters.count("c", "other", "community", now - timedelta(hours=3)) == 0


def test_a_counter_batch_reads_back_only_as_far_as_asked_and_still_counts_further_back(redis_url: str) -> None:
    counters = RedisCounterStore(
        redis.Redis.from_url(redis_url, protocol=2), prefix=f"test:{time.time_ns()}", keep_seconds=90 * 86400
    )
    now = datetime.now(UTC)
    counters.record("c", "a", "crisis.suicide", "post-old", now - timedelta(days=10))
    counters.record("c", "a", "crisis.suicide", "post-recent", now - timedelta(hours=1))
    with counters.batch([("c", "a")], since=(now - timedelta(days=2)).timestamp()):
        batch = counters._current()
        assert batch is not None
        # The ten-day-old entry was not read: a two-day window never needs it.
        assert [raw.split("\x1f")[1] for raw in batch.entries[counters._key("c", "a")]] == ["post-recent"]
        assert counters.count("c", "a", "crisis", now - timedelta(days=2)) == 1
        counters.record("c", "a", "crisis.suicide", "post-new", now)  # written when the batch ends
        assert counters.count("c", "a", "crisis", now - timedelta(days=2)) == 2
        # Further back than the read: the older part from Redis, the batch's own record too.
        assert counters.count("c", "a", "crisis", now - timedelta(days=30)) == 3
        assert counters.count("c", "a", "crisis", now - timedelta(days=30), exclude_member="post-old") == 2
    assert counters.count("c", "a", "crisis", now - timedelta(days=30)) == 3


AUTHORS = ("ann", "bob", "cy")


@pytest.mark.parametrize("where", ["one node", "cluster"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(AUTHORS),
            st.sampled_from(["community.hostility", "community.spam", "crisis.suicide", "crisis"]),
            st.integers(min_value=0, max_value=12),  # the post: a post can match several categories
            st.integers(min_value=0, max_value=30 * 24),  # hours ago
        ),
        max_size=40,
    ),
    recorded=st.lists(
        st.tuples(st.sampled_from(AUTHORS), st.sampled_from(["community.hostility", "crisis"]), st.integers(0, 14)),
        max_size=4,
    ),
    read_hours=st.integers(min_value=1, max_value=20 * 24),
)
@example(entries=[("ann", "crisis", 3, 24), ("ann", "crisis", 4, 24)], recorded=[], read_hours=48)  # the edge
def test_a_batch_counts_as_redis_does_whatever_the_history(
    where: str,
    request: pytest.FixtureRequest,
    redis_url: str,
    entries: list[tuple[str, str, int, int]],
    recorded: list[tuple[str, str, int]],
    read_hours: int,
) -> None:
    """A batch answers from what it read, what it recorded and, further back, from Redis (one
    node, or a cluster whose nodes hold different authors): every count must be the one a
    single Redis gives, asked key by key, for the same entries, and the one the engine's
    in-memory store (`haven backtest`, embedded runs) gives."""
    one_node = redis.Redis.from_url(redis_url, protocol=2)
    client: StateRedis = (
        RedisCluster.from_url(request.getfixturevalue("redis_cluster_url"), protocol=2)
        if where == "cluster"
        else one_node
    )
    counters = RedisCounterStore(client, prefix=f"test:{time.time_ns()}", keep_seconds=90 * 86400)
    alone = RedisCounterStore(one_node, prefix=f"test:{time.time_ns()}:alone", keep_seconds=90 * 86400)
    memory = InMemoryCounterStore(keep_seconds=90 * 86400)
    now = datetime.now(UTC)
    try:
        for author, category, post, hours in entries:
            for store in (counters, alone, memory):
                store.record("c", author, category, f"post-{post}", now - timedelta(hours=hours))
        asked = [(a, prefix, hours, exclude) for a in AUTHORS
                 for prefix in ("community", "crisis", "crisis.suicide", "community.spam", "crisis.s", "communit")
                 for hours in (1, 24, 48, 24 * 7, 24 * 31) for exclude in (None, "post-3", "new-1")]  # fmt: skip

        def counts(store: RedisCounterStore | InMemoryCounterStore) -> list[int]:
            return [store.count("c", a, p, now - timedelta(hours=h), exclude_member=x) for a, p, h, x in asked]

        expected_before = counts(alone)
        assert expected_before == counts(memory)
        for author, category, post in recorded:  # the batch's posts are new ones (a post decided is not judged again)
            for store in (alone, memory):
                store.record("c", author, category, f"new-{post}", now)
        with counters.batch([("c", a) for a in AUTHORS], since=(now - timedelta(hours=read_hours)).timestamp()):
            # Counted before and after the batch's own records (written when it ends), as a
            # batch's earlier posts are judged before its later ones record.
            before = counts(counters)
            for author, category, post in recorded:
                counters.record("c", author, category, f"new-{post}", now)
            found = counts(counters)
        assert before == expected_before
        assert found == counts(alone) == counts(memory)
    finally:
        if client is not one_node:
            client.close()
        one_node.close()


def test_an_authors_counter_history_is_kept_only_as_long_as_configured(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(redis_url, protocol=2)
    counters = RedisCounterStore(client, prefix=f"test:{time.time_ns()}", keep_seconds=2 * 86400)
    now = datetime.now(UTC)
    counters.record("c", "a", "community.hostility", "post-old", now - timedelta(days=3))
    counters.record("c", "a", "community.hostility", "post-new", now)
    key = counters._key("c", "a")
    # The entry older than the kept history went when the newer one was written, and the
    # whole set expires that long after its last write.
    assert [raw.split(b"\x1f")[1] for raw in client.zrange(key, 0, -1)] == [b"post-new"]
    assert 2 * 86400 - 60 < client.ttl(key) <= 2 * 86400
    assert counters.count("c", "a", "community", now - timedelta(days=30)) == 1
    # A rule asking further back than that is told once, in the log (ids and lengths only).
    for _ in range(2):
        with counters.batch([("c", "a")], since=(now - timedelta(days=7)).timestamp()):
            assert counters.count("c", "a", "community", now - timedelta(days=7)) == 1
    told = [r for r in caplog.records if r.getMessage() == "counters.window_longer_than_kept"]
    assert len(told) == 1
    assert told[0].kept_seconds == 2 * 86400
    assert 7 * 86400 - 60 < told[0].window_seconds <= 7 * 86400 + 60
    with counters.batch([("c", "a")], since=(now - timedelta(days=1)).timestamp()):
        pass
    assert len([r for r in caplog.records if r.getMessage() == "counters.window_longer_than_kept"]) == 1


@pytest.mark.parametrize("where", ["a database of its own", "a cluster"])
def test_with_a_state_redis_of_its_own_the_brokers_redis_holds_only_the_queues(
    where: str,
    request: pytest.FixtureRequest,
    service_env: dict[str, str],
    store: SqlStore,
    community: str,
    tmp_path: Path,
) -> None:
    prefix = new_key_prefix()
    cluster = where == "a cluster"
    state_url = request.getfixturevalue("redis_cluster_url") if cluster else f"{REDIS_HOST}/{STATE_REDIS_DB}"
    broker_url = service_env["HAVEN_REDIS_URL"]
    env = {**service_env, "HAVEN_REDIS_KEY_PREFIX": prefix, "HAVEN_STATE_REDIS_URL": state_url}
    if cluster:
        env["HAVEN_STATE_REDIS_CLUSTER"] = "true"
    state_client: StateRedis = RedisCluster.from_url(state_url) if cluster else redis.Redis.from_url(state_url)
    worker = start_worker(env, tmp_path / "worker.log")
    api_process, base = start_api(env, tmp_path / "api.log")
    secret, _ = store.create_api_key(community, ["admin"])
    try:
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10) as api:
            opening = a_post(community, "first day here, hello everyone")
            accepted = api.post("/v1/posts", json=opening).json()
            decided(api, accepted["id"])
            reply = a_post(community, HOSTILE, parent_id=opening["external_id"], thread_id=opening["external_id"])
            held = api.post("/v1/posts", json=reply).json()
            assert decided(api, held["id"])["decision"]["verdict"] == "hold"
            # The dedupe key is in the state's Redis: sending the post again is a duplicate.
            assert api.post("/v1/posts", json=reply).json()["status"] == "duplicate"
            assert httpx.get(f"{base}/readyz").status_code == 200
            # With no worker, a post waits in the broker's queue, and the metrics read it there.
            worker.stop()
            api.post("/v1/posts", json=a_post(community, "still here"))
            wait_until(lambda: 'haven_queue_depth{queue="default"} 1.0' in httpx.get(f"{base}/metrics").text)

        def kinds(client: StateRedis) -> set[str]:
            """`post`, `counter`, `conversation` for Haven's keys; the name itself for the rest."""
            names = [key.decode().removeprefix(prefix) for key in client.scan_iter(match=prefix + "*")]
            return {name.split(":")[1] if name.startswith("haven:") else name for name in names}

        broker_client = redis.Redis.from_url(broker_url)
        state, broker = kinds(state_client), kinds(broker_client)
        broker_client.close()
        assert {"post", "counter", "conversation"} <= state
        assert {"_kombu.binding.default", "default"} <= broker  # the queues, one task waiting
        assert not {"post", "counter", "conversation"} & broker
        assert not any(name.startswith("_kombu") or name == "default" for name in state)
    finally:
        api_process.stop()
        worker.stop()
        for key in state_client.scan_iter(match=prefix + "*"):
            state_client.delete(key)
        state_client.close()
        delete_keys(broker_url, prefix)


def test_policies_that_do_not_load_stop_the_start_with_file_and_line(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(TEST_POLICIES, policies)
    (policies / "community.yaml").write_text("id: community\nrules:\n  - id: [broken\n")
    failed = run_haven(
        "serve", env=haven_env(HAVEN_POLICY_DIR=str(policies), HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "h.db"))
    )
    assert failed.returncode == 2
    assert "HAVEN_POLICY_DIR" in failed.stderr
    assert "community.yaml:4:1: YAML syntax" in failed.stderr


def test_worker_serves_metrics_of_all_its_processes(
    api: httpx.Client, community: str, worker: WorkerHandle, tmp_path: Path
) -> None:
    port = free_port()
    worker.process.stop()
    metered = start_worker({**worker.env, "HAVEN_WORKER_METRICS_PORT": str(port)}, tmp_path / "metered.log")
    worker.replace(metered)
    held = api.post("/v1/posts", json=a_post(community, HOSTILE)).json()
    decided(api, held["id"])
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'haven_decisions_total{mode="enforce",verdict="hold"}' in text
    assert 'haven_rule_matches_total{category="community.hostility"' in text
    assert "haven_ingest_to_decision_seconds_bucket" in text


def test_scheduler_runs_beat_and_purges_at_start(
    service_env: dict[str, str], worker: WorkerHandle, tmp_path: Path
) -> None:
    assert run_haven("scheduler", env=haven_env()).returncode == 2
    purges_before = worker.process.logs().count("retention.purged")
    scheduler = start_scheduler(service_env, tmp_path / "beat.log")
    try:
        wait_until(lambda: worker.process.logs().count("retention.purged") > purges_before)
        assert scheduler.process is not None and scheduler.process.poll() is None
    finally:
        scheduler.stop()


def test_keys_revoke_stops_a_key(postgres_url: str, store: SqlStore, community: str) -> None:
    env = haven_env(HAVEN_DATABASE_URL=postgres_url)
    secret = run_haven("keys", "create", community, env=env).stdout.strip()
    assert store.find_api_key(secret) is not None
    assert run_haven("keys", "revoke", secret[:12], env=env).returncode == 0
    assert store.find_api_key(secret) is None
    assert run_haven("keys", "revoke", secret[:12], env=env).returncode == 1
