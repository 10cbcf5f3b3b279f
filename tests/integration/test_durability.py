"""No accepted post is lost when workers stop or die, or Redis restarts empty; a post that
fails in every attempt is parked without holding any other, and can be sent again."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from haven.domain import Author, Post
from haven.store.sql import SqlStore

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import (
    HavenProcess,
    OwnRedis,
    WebhookReceiver,
    full_mode_env,
    new_key_prefix,
    start_api,
    start_scheduler,
    start_worker,
    wait_until,
)
from tests.integration.test_pipeline_end_to_end import HOSTILE, a_post, decided, subscribe

pytestmark = pytest.mark.integration


def decided_count(api: httpx.Client, ids: list[str]) -> int:
    return sum(api.get(f"/v1/decisions/{i}").json()["status"] == "decided" for i in ids)


def test_posts_accepted_while_no_worker_runs_are_decided_when_one_starts(
    api: httpx.Client, community: str, worker: WorkerHandle
) -> None:
    worker.process.stop()
    try:
        ids = [api.post("/v1/posts", json=a_post(community)).json()["id"] for _ in range(5)]
        assert {api.get(f"/v1/decisions/{i}").json()["status"] for i in ids} == {"pending"}
    finally:
        worker.restart()
    wait_until(lambda: decided_count(api, ids) == len(ids))


def test_posts_held_by_a_worker_killed_mid_task_are_decided_by_the_next(
    api: httpx.Client, community: str, worker: WorkerHandle, store: SqlStore
) -> None:
    worker.process.stop()
    # The posts wait in Redis before the doomed worker starts, so however slowly the API
    # answers on a loaded machine, the worker is killed with most of them still unfinished.
    batches = [
        api.post("/v1/posts/batch", json={"posts": [a_post(community, HOSTILE) for _ in range(100)]}).json()["items"]
        for _ in range(10)
    ]
    ids = [item["id"] for batch in batches for item in batch]
    doomed = start_worker(worker.env, worker.logs.with_name("doomed.log"), "--concurrency", "1")
    try:
        # Killed once it has stored a task and holds the next one, recorded in Redis as
        # unacknowledged: a worker dying mid-task. Not while a task is on its way from the
        # queue to that record (kombu's Redis transport takes it off the list first and
        # records it after); a worker killed then loses that task, as docs/operations.md says.
        held = redis.Redis.from_url(worker.env["HAVEN_REDIS_URL"])
        unacked = worker.env.get("HAVEN_REDIS_KEY_PREFIX", "") + "unacked"
        try:
            wait_until(lambda: store.decided_ids(ids) and held.hlen(unacked) > 0, timeout=120, interval=0.002)
        finally:
            held.close()
    finally:
        doomed.kill_all()
    assert len(store.decided_ids(ids)) < len(ids)
    worker.replace(start_worker(worker.env, worker.logs))
    wait_until(lambda: len(store.decided_ids(ids)) == len(ids), timeout=120, interval=0.5)


@contextmanager
def decisions_refused_for(database_url: str, external_id: str) -> Iterator[None]:
    """PostgreSQL itself refuses to store the decision of one post (a trigger), as it refuses
    text it cannot keep: a post that fails in every worker, whatever the worker does."""
    name = f"refuse_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
            "RETURN NEW; END $$"
        )
        db.execute(f"CREATE TRIGGER {name} BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION {name}()")
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute(f"DROP TRIGGER {name} ON decisions")
            db.execute(f"DROP FUNCTION {name}()")


def status_of(api: httpx.Client, decision_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/v1/decisions/{decision_id}").json()
    return found


def test_a_post_failing_every_attempt_is_parked_without_holding_its_batch_and_can_be_sent_again(
    api: httpx.Client, community: str, worker: WorkerHandle, store: SqlStore, postgres_url: str
) -> None:
    poison = a_post(community, HOSTILE, external_id=f"poison-{uuid.uuid4().hex}")
    ordinary = a_post(community, HOSTILE)
    with decisions_refused_for(postgres_url, poison["external_id"]):
        # One batch is one task: today's failure of one post held every post of its group.
        items = api.post("/v1/posts/batch", json={"posts": [poison, ordinary]}).json()["items"]
        poison_id, ordinary_id = (item["id"] for item in items)
        decided(api, ordinary_id)
        failed = wait_until(lambda: status_of(api, poison_id)["status"] == "failed" and status_of(api, poison_id))
        assert failed["reason"] == "ProgrammingError: RaiseException"
        assert failed["decision"] is None
        parked = api.get("/v1/posts/parked").json()["items"]
        assert [(p["id"], p["status"], p["attempts"], p["external_id"]) for p in parked] == [
            (poison_id, "parked", 3, poison["external_id"])
        ]
        lines = [line for line in worker.process.logs().splitlines() if '"post.parked"' in line]
        assert any(poison_id in line for line in lines)
        assert not any(HOSTILE in line for line in lines)
        # Sent again while the cause remains, it is parked again after another round.
        assert api.post(f"/v1/posts/parked/{poison_id}/retry").status_code == 202
        wait_until(lambda: status_of(api, poison_id)["status"] == "failed")
    retried = api.post(f"/v1/posts/parked/{poison_id}/retry")
    assert retried.status_code == 202, retried.text
    assert decided(api, poison_id)["decision"]["verdict"] == "hold"
    assert api.get("/v1/posts/parked").json()["items"] == []
    assert api.post(f"/v1/posts/parked/{poison_id}/retry").status_code == 404


def test_parked_posts_need_the_admin_scope(api_server: str, store: SqlStore, community: str) -> None:
    secret, _ = store.create_api_key(community, ["ingest", "read"])
    headers = {"authorization": f"Bearer {secret}"}
    assert httpx.get(api_server + "/v1/posts/parked", headers=headers).status_code == 403
    assert httpx.post(api_server + "/v1/posts/parked/x/retry", headers=headers).status_code == 403


def test_a_delivery_failing_every_attempt_is_listed_failed_and_can_be_sent_again(
    api: httpx.Client, community: str, receiver: WebhookReceiver, worker: WorkerHandle
) -> None:
    path = subscribe(api, receiver, "decision.created")
    attempts = int(worker.env["HAVEN_WEBHOOK_MAX_ATTEMPTS"])
    receiver.fail_next(path, attempts)
    api.post("/v1/posts", json=a_post(community, HOSTILE))
    subscription_id = api.get("/v1/webhooks").json()[0]["id"]

    def report() -> dict[str, Any]:
        found: list[dict[str, Any]] = api.get(f"/v1/webhooks/{subscription_id}/deliveries").json()
        return found[0] if found else {"status": "not yet"}

    failed = wait_until(lambda: report()["status"] == "failed" and report(), timeout=60)
    assert [a["status_code"] for a in failed["attempts"]] == [500] * attempts
    retry = api.post(f"/v1/webhooks/{subscription_id}/deliveries/{failed['id']}/retry")
    assert retry.status_code == 202, retry.text
    delivered = wait_until(lambda: report()["status"] == "delivered" and report())
    assert [a["status_code"] for a in delivered["attempts"]] == [500] * attempts + [204]
    assert {r.headers["webhook-id"] for r in receiver.at(path)} == {failed["id"]}
    again = api.post(f"/v1/webhooks/{subscription_id}/deliveries/{failed['id']}/retry")
    assert again.status_code == 404


def drop_queued_tasks(env: dict[str, str]) -> int:
    """Every task waiting in Redis vanishes, as when Redis restarts without persistence or a
    worker dies between taking a task off its list and recording it as unacknowledged."""
    client = redis.Redis.from_url(env["HAVEN_REDIS_URL"])
    prefix = env.get("HAVEN_REDIS_KEY_PREFIX", "")
    try:
        keys = [k for q in ("crisis", "default") for k in client.scan_iter(match=f"{prefix}{q}*")]
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


def test_posts_whose_tasks_are_lost_are_queued_again_by_the_sweeper(
    api: httpx.Client, community: str, worker: WorkerHandle, store: SqlStore, tmp_path: Path
) -> None:
    worker.process.stop()
    try:
        ids = [api.post("/v1/posts", json=a_post(community)).json()["id"] for _ in range(5)]
        resent = a_post(community)
        ids.append(api.post("/v1/posts", json=resent).json()["id"])
        assert drop_queued_tasks(worker.env) > 0
        # Held and not overdue: a repeat is a duplicate. Overdue (its task lost): queued again.
        assert api.post("/v1/posts", json=resent).json()["status"] == "duplicate"
        time.sleep(float(worker.env["HAVEN_SWEEP_AFTER_SECONDS"]) + 0.5)
        assert api.post("/v1/posts", json=resent).json()["status"] == "queued"
        assert {status_of(api, i)["status"] for i in ids} == {"pending"}
    finally:
        worker.restart()
    wait_until(lambda: ids[-1] in store.decided_ids(ids), timeout=60)
    assert len(store.decided_ids(ids)) == 1, "only the re-sent post had a task"
    scheduler = start_scheduler(worker.env, tmp_path / "scheduler.log")
    try:
        wait_until(lambda: len(store.decided_ids(ids)) == len(ids), timeout=60)
        assert "sweeper.requeued" in scheduler.logs()
    finally:
        scheduler.stop()


def test_no_post_or_delivery_is_lost_while_the_worker_is_killed_again_and_again(
    api: httpx.Client,
    community: str,
    worker: WorkerHandle,
    receiver: WebhookReceiver,
    store: SqlStore,
    tmp_path: Path,
) -> None:
    path = subscribe(api, receiver, "decision.created")
    scheduler = start_scheduler(worker.env, tmp_path / "scheduler.log")
    accepted: list[str] = []
    stop = threading.Event()

    def flow() -> None:
        with httpx.Client(base_url=str(api.base_url), headers=dict(api.headers), timeout=10) as client:
            while not stop.is_set():
                batch = [a_post(community, HOSTILE) for _ in range(5)]
                answer = client.post("/v1/posts/batch", json={"posts": batch})
                if answer.status_code == 202:
                    accepted.extend(item["id"] for item in answer.json()["items"])
                time.sleep(0.05)

    sender = threading.Thread(target=flow, daemon=True)
    sender.start()
    try:
        for kill in range(3):
            time.sleep(random.uniform(0.5, 1.5))
            worker.process.kill_all()
            worker.replace(start_worker(worker.env, tmp_path / f"worker-{kill}.log"))
    finally:
        stop.set()
        sender.join(timeout=30)
    try:
        assert len(accepted) > 50
        wait_until(lambda: len(store.decided_ids(accepted)) == len(accepted), timeout=120, interval=0.5)

        def delivered() -> set[str]:
            return {r.payload["data"]["id"] for r in receiver.at(path) if r.verified}

        wait_until(lambda: delivered() >= set(accepted), timeout=120, interval=0.5)
        # Sent at least once; a repeat carries the same webhook-id, for the receiver to drop.
        ids_by_decision: dict[str, set[str]] = {}
        for received in receiver.at(path):
            if not received.verified:
                continue  # a request cut off when its worker was killed is not a delivery
            ids_by_decision.setdefault(received.payload["data"]["id"], set()).add(received.headers["webhook-id"])
        assert all(len(webhook_ids) == 1 for webhook_ids in ids_by_decision.values())
    finally:
        scheduler.stop()


def test_a_redis_restart_without_persistence_loses_no_accepted_post(
    postgres_url: str, store: SqlStore, community: str, tmp_path: Path
) -> None:
    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    try:
        env = full_mode_env(own_redis.url, new_key_prefix(), postgres_url, tmp_path)
        api_process, base = start_api(env, tmp_path / "api.log")
        processes: list[HavenProcess] = [api_process]
        try:
            secret, _ = store.create_api_key(community, ["admin"])
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10) as api:
                ids = [api.post("/v1/posts", json=a_post(community)).json()["id"] for _ in range(20)]
                own_redis.restart_empty()
                processes.append(start_worker(env, tmp_path / "worker.log"))
                processes.append(start_scheduler(env, tmp_path / "scheduler.log"))
                wait_until(lambda: len(store.decided_ids(ids)) == len(ids), timeout=60, interval=0.5)
                assert all(status_of(api, i)["status"] == "decided" for i in ids)
        finally:
            for process in processes:
                process.stop()
    finally:
        own_redis.kill()


def test_a_post_held_alone_or_in_a_batch_is_held_once_and_held_again_gets_the_new_deadline(store: SqlStore) -> None:
    def a(external_id: str) -> Post:
        return Post(platform="p", community="hold", external_id=external_id, author=Author(id="a"), body="hi")

    now = datetime.now(UTC)
    alone, batch = a(uuid.uuid4().hex), [a(uuid.uuid4().hex) for _ in range(3)]
    store.hold_pending([(alone, now, "default")], due_at=now + timedelta(seconds=60))
    store.hold_pending([(p, now, "crisis") for p in batch], due_at=now + timedelta(seconds=60))
    store.hold_pending([(alone, now, "default")], due_at=now + timedelta(seconds=120))  # sent again
    held = store.held_posts([p.decision_id() for p in [alone, *batch]])
    assert sorted(held) == sorted(p.decision_id() for p in [alone, *batch])
    assert held[alone.decision_id()].due_at == now + timedelta(seconds=120)
    assert {held[p.decision_id()].status for p in [alone, *batch]} == {"pending"}


def test_a_crisis_prone_post_is_held_while_a_round_of_ordinary_holds_waits(store: SqlStore, postgres_url: str) -> None:
    """Ordinary holds go in rounds, one at a time; a crisis-prone post has a lane of its own and
    is never held up behind them. The ordinary round here waits on a row that another
    transaction has locked, as one waits behind a slow database under a backlog."""

    def a(external_id: str) -> Post:
        return Post(platform="p", community="lanes", external_id=external_id, author=Author(id="a"), body="hi")

    now = datetime.now(UTC)
    locked, ordinary, crisis = a(uuid.uuid4().hex), a(uuid.uuid4().hex), a(uuid.uuid4().hex)
    store.hold_pending([(locked, now, "default")], due_at=now)
    with psycopg.connect(postgres_url) as blocker, psycopg.connect(postgres_url, autocommit=True) as watcher:
        blocker.execute("SELECT 1 FROM pending_posts WHERE decision_id = %s FOR UPDATE", (locked.decision_id(),))
        waiting = threading.Thread(
            target=store.hold_pending, args=([(locked, now, "default"), (ordinary, now, "default")],)
        )
        waiting.start()

        def round_is_waiting() -> bool:
            found = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pending_posts%'"
            ).fetchone()
            return bool(found and found[0])

        wait_until(round_is_waiting, timeout=10)
        crisis_held = threading.Thread(target=store.hold_pending, args=([(crisis, now, "crisis")],))
        crisis_held.start()
        crisis_held.join(timeout=10)
        assert not crisis_held.is_alive(), "the crisis-prone post waited behind the ordinary round"
        assert crisis.decision_id() in store.held_posts([crisis.decision_id()])
        assert waiting.is_alive()  # the ordinary round still waits on the locked row
        blocker.rollback()
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    held = store.held_posts([p.decision_id() for p in (locked, ordinary, crisis)])
    assert sorted(held) == sorted(p.decision_id() for p in (locked, ordinary, crisis))
