"""No accepted post is lost when workers stop or die."""

from __future__ import annotations

import httpx
import pytest
import redis
from haven.store.sql import SqlStore

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import start_worker, wait_until
from tests.integration.test_pipeline_end_to_end import HOSTILE, a_post

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
