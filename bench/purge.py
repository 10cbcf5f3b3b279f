"""What a retention purge does to the writes beside it: PostgreSQL or SQLite (embedded).

    .venv/bin/python bench/purge.py --database sqlite|postgresql [--decisions 100000]
    PYTHONPATH=<git archive OLD service> .venv/bin/python bench/purge.py ...   # OLD's purge

`--decisions` decisions (one match each, so a `decision_categories` row each, and one
webhook delivery each) are stored as 100 days old, into a PostgreSQL 15 cluster of the
benchmark's own (`initdb` into a temporary folder, default settings, as bench/capacity.py)
or a SQLite file. Then `SqlStore.purge` deletes them (a 90-day window) while another thread
stores a new decision with its delivery every 10 ms, as a worker would. Reported: how
long the purge took, its longest transaction (the longest time between two of its
commits, or from its start to its first), and the latency of the writes that ran
meanwhile (p50 / p99 / max): a purge holding SQLite's one write lock stops every writer
until it commits. The purge measured is whichever `haven` is imported: the tree's, or the
one on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import haven  # noqa: E402
from haven.domain import Decision, Match, PostRef  # noqa: E402
from haven.store.migrate import upgrade  # noqa: E402
from haven.store.records import NewDelivery  # noqa: E402
from haven.store.sql import SqlStore  # noqa: E402
from own_postgres import own_postgres  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

COMMUNITY = "bench-purge"


def decision_and_delivery(subscription: str, at: datetime) -> tuple[Decision, NewDelivery]:
    made = Decision(
        id=str(uuid.uuid4()),
        post=PostRef(platform="reddit", community=COMMUNITY, external_id=uuid.uuid4().hex[:10], revision="1",
                     kind="comment", author_id=uuid.uuid4().hex[:8]),
        policy_version="v1", verdict="flag", mode="enforce",
        matches=[Match(policy="community-dynamics", rule="hostility", category="toxicity.hostility",
                       severity="medium", mode="enforce", verdict="flag", evidence=[])],
    )  # fmt: skip
    made.timings.decided_at = at
    delivery = NewDelivery(
        id=str(uuid.uuid4()), subscription_id=subscription, community=COMMUNITY, event_type="decision.created",
        payload="{}", ingested_at=None, decision_id=made.id,
    )  # fmt: skip
    return made, delivery


def fill(store: SqlStore, subscription: str, count: int, at: datetime) -> None:
    for start in range(0, count, 1000):
        pairs = [decision_and_delivery(subscription, at) for _ in range(min(1000, count - start))]
        store.record_decisions([(d, None) for d, _ in pairs], [delivery for _, delivery in pairs])
    with store.engine.begin() as connection:  # deliveries are stamped when stored
        connection.execute(text("UPDATE webhook_deliveries SET created_at = :at"), {"at": at})


def run(store: SqlStore, count: int) -> dict[str, Any]:
    subscription = store.create_subscription(COMMUNITY, "http://127.0.0.1:9/hook", ["decision.created"]).id
    now = datetime.now(UTC)
    fill(store, subscription, count, now - timedelta(days=100))
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))

    purging = threading.get_ident()
    commits: list[float] = []

    def committed(connection: object) -> None:
        if threading.get_ident() == purging:
            commits.append(time.perf_counter())

    stop = threading.Event()
    latencies: list[float] = []

    def writer() -> None:
        while not stop.is_set():
            made, delivery = decision_and_delivery(subscription, datetime.now(UTC))
            started = time.perf_counter()
            store.record_decisions([(made, None)], [delivery])
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1.0)  # the writer's own pace before the purge
    before = len(latencies)
    event.listen(store.engine, "commit", committed)
    started = time.perf_counter()
    counts = store.purge(now - timedelta(days=90))
    took = time.perf_counter() - started
    event.remove(store.engine, "commit", committed)
    during = latencies[before:]
    stop.set()
    thread.join()
    marks = [started, *commits]
    ordered = sorted(during)
    return {
        "decisions_deleted": counts.decisions,
        "deliveries_deleted": counts.deliveries,
        "purge_seconds": round(took, 2),
        "purge_transactions": len(commits),
        "longest_transaction_seconds": round(max(b - a for a, b in itertools.pairwise(marks)), 3),
        "writes_during_purge": len(during),
        "write_ms_p50": round(statistics.median(during) * 1000, 1) if during else None,
        "write_ms_p99": round(ordered[int(len(ordered) * 0.99)] * 1000, 1) if during else None,
        "write_ms_max": round(ordered[-1] * 1000, 1) if during else None,
        "write_ms_p50_before_purge": round(statistics.median(latencies[:before]) * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--decisions", type=int, default=100_000)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "haven": str(Path(haven.__file__).resolve().parent),
        "database": args.database,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    with tempfile.TemporaryDirectory(prefix="haven-purge-") as folder:
        if args.database == "sqlite":
            store = SqlStore.from_url(f"sqlite:///{Path(folder) / 'haven.db'}")
            upgrade(store.engine)
            result.update(run(store, args.decisions))
            store.dispose()
        else:
            with own_postgres(Path(folder)) as url:
                store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
                upgrade(store.engine)
                result.update(run(store, args.decisions))
                store.dispose()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
