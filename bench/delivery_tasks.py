"""Webhook deliveries through a real `haven worker` (one process of 4 threads, on Redis and
PostgreSQL): the worker's CPU a delivery when deliveries come one to a task (as the
sweeper and the review path send them) and several to a task (as a judging task hands
them on, `haven.tasks.DELIVERIES_A_TASK`), the two in turn, round after round. The
receiver runs in a process of its own; the worker's CPU is read from /proc, its child
processes included.

    scripts/services
    .venv/bin/python bench/delivery_tasks.py [--deliveries 1000] [--rounds 2]

Prints one JSON object. bench/deliveries.py times one attempt alone, without the task.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from deliveries import new_deliveries, receiver_url
from pipeline import REDIS_URL, tree_cpu_seconds
from store_tree import fresh_store

from tests.integration.harness import delete_keys, full_mode_env, new_key_prefix, start_worker, wait_until


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000, help="deliveries a round, each way")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    prefix = new_key_prefix()
    results: dict[str, Any] = {
        "deliveries": args.deliveries,
        "cpu_ms_a_delivery": {"one a task": [], "several a task": []},
    }
    service = Path(__file__).resolve().parents[1] / "service"
    with (
        receiver_url() as url,
        tempfile.TemporaryDirectory() as folder,
        fresh_store(service, "haven_bench_delivery_tasks") as store,
    ):
        from haven.config import Settings
        from haven.queues import DEFAULT_QUEUE
        from haven.tasks import DELIVER_WEBHOOK, DELIVERIES_A_TASK, create_celery_app

        database = store.engine.url.render_as_string(hide_password=False)
        env = full_mode_env(REDIS_URL, prefix, database, Path(folder), visibility_seconds=600)
        worker = start_worker(env, Path(folder) / "worker.log", "--concurrency", "4")
        app = create_celery_app(Settings.from_env(env))
        subscription = store.create_subscription("bench", url, ["decision.created"])
        assert worker.process is not None

        def run(count: int, several: bool) -> float:
            ids = new_deliveries(store, subscription.id, count)
            before = tree_cpu_seconds(worker.process.pid)
            step = DELIVERIES_A_TASK if several else 1
            for first in range(0, len(ids), step):
                chunk = ids[first : first + step]
                app.send_task(DELIVER_WEBHOOK, args=[chunk if several else chunk[0]], queue=DEFAULT_QUEUE)

            def done() -> bool:
                found = [store.get_delivery(i) for i in ids[-10:]]
                return all(d is not None and d.status == "delivered" for d in found)

            wait_until(done, timeout=600, interval=0.2)
            time.sleep(0.5)  # the last tasks' acknowledgements
            return round((tree_cpu_seconds(worker.process.pid) - before) / count * 1000, 3)

        run(100, True)
        run(100, False)
        for index in range(args.rounds):
            for several in (True, False) if index % 2 == 0 else (False, True):
                results["cpu_ms_a_delivery"]["several a task" if several else "one a task"].append(
                    run(args.deliveries, several)
                )
        results["deliveries_a_task"] = DELIVERIES_A_TASK
        worker.stop()
        delete_keys(REDIS_URL, prefix)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
