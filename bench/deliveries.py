"""What one webhook delivery costs a worker: `attempt_delivery` as the `haven.deliver_webhook`
task runs it (read the delivery, sign it, check where it goes, POST it, record the attempt),
against PostgreSQL and a receiver on loopback in a process of its own, in CPU of this
process alone. Celery's own work on each task (its message, its acknowledgement) comes on
top; docs/capacity.md sizes workers for deliveries with it.

    .venv/bin/python bench/deliveries.py [--service DIR] [--deliveries 2000] [--rounds 3] [--profile]

`--service` runs another tree's `service/` (bench/store_tree.py). Needs PostgreSQL on
127.0.0.1:5432 (scripts/services). Prints one JSON object; with `--profile`, the functions
with the most time of one more round (cProfile) on stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import pstats
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from store_tree import ROOT, add_service_argument, fresh_store

# A decision.created event's size: the payload of a flagged decision with its evidence.
PAYLOAD = json.dumps({"type": "decision.created", "data": {"id": "x", "evidence": ["y" * 60] * 20}})


def _receive(conn: Connection) -> None:
    """The receiver, in a process of its own so that its CPU is not counted."""
    sys.path.insert(0, str(ROOT))
    from tests.integration.harness import webhook_receiver

    with webhook_receiver() as receiver:
        conn.send(receiver.base_url + receiver.new_path())
        conn.recv()


@contextmanager
def receiver_url() -> Iterator[str]:
    """A receiver on loopback in a process of its own, for as long as the block runs: its URL."""
    spawn = multiprocessing.get_context("spawn")
    conn, child = spawn.Pipe()
    receiver = spawn.Process(target=_receive, args=(child,), daemon=True)
    receiver.start()
    try:
        yield conn.recv()
    finally:
        conn.send("stop")
        receiver.join(timeout=10)


def new_deliveries(store: Any, subscription_id: str, count: int) -> list[str]:
    """`count` pending decision.created deliveries to the subscription, stored; their ids."""
    from haven.store.records import NewDelivery

    deliveries = [
        NewDelivery(id=str(uuid.uuid4()), subscription_id=subscription_id, community="bench",
                    event_type="decision.created", payload=PAYLOAD, ingested_at=datetime.now(UTC))
        for _ in range(count)
    ]  # fmt: skip
    ids: list[str] = store.add_deliveries(deliveries)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_service_argument(parser)
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one more round")
    args = parser.parse_args()
    results: dict[str, Any] = {"service": str(args.service), "deliveries": args.deliveries}
    with receiver_url() as url, fresh_store(args.service, "haven_bench_deliveries") as store:
        import httpx
        from haven.webhooks.delivery import attempt_delivery

        subscription = store.create_subscription("bench", url, ["decision.created"])

        with httpx.Client(timeout=5, follow_redirects=False) as client:

            def send(ids: list[str]) -> None:
                for delivery_id in ids:
                    result = attempt_delivery(store, client, delivery_id, max_attempts=5, allow_private=True)
                    assert result.outcome == "delivered", result

            send(new_deliveries(store, subscription.id, 50))  # connections opened, statements prepared
            rounds = []
            for _ in range(args.rounds):
                ids = new_deliveries(store, subscription.id, args.deliveries)
                started = time.process_time()
                send(ids)
                rounds.append(round((time.process_time() - started) / len(ids) * 1000, 3))
            results["cpu_ms_a_delivery"] = rounds
            if args.profile:
                ids = new_deliveries(store, subscription.id, args.deliveries)
                profile = cProfile.Profile()
                profile.enable()
                send(ids)
                profile.disable()
                pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
