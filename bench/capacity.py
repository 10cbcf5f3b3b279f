"""Per-post costs of the full pipeline, for capacity planning (docs/capacity.md).

Starts, on loopback only, a redis-server of its own on a free port and a PostgreSQL
cluster of its own (initdb into a temporary folder, as the `postgres` user when run as
root), so Redis's `INFO commandstats` and PostgreSQL's `pg_stat_wal` count Haven's work
alone and not the other sessions sharing this machine's Redis and PostgreSQL. Then
`haven serve` and one `haven worker` (full mode, the default pack as committed) and a
webhook receiver subscribed to every event type.

After a warm-up it measures two phases, each from counters read before and after:

* `batch`: the whole corpus (hard cases, about a third of them escalations; the API
  sends each crisis-prone post as a task of its own) as batches of 100
  (`POST /v1/posts/batch`), the worst case for the worker;
* `calm`: the corpus's ordinary texts that are not crisis-prone, as batches of 100,
  which travel as tasks of 100: closer to ordinary support-group traffic;
* `single`: one post per request at a steady rate (`POST /v1/posts`), grouped by the
  API into tasks (`HAVEN_INGEST_GROUP_MS`).

Per post it reports: CPU seconds of the worker and of the API process (user + system,
from /proc, so the machine's other load does not inflate them), Redis commands by name
and bytes in and out, Redis memory left behind (dedupe keys, counters, conversation
state), PostgreSQL rows inserted and updated per table, bytes added per table
(`pg_total_relation_size`), WAL bytes and records (`pg_stat_wal`), and webhook
deliveries per post. Idle polling (Celery's BRPOP loop, heartbeats) is measured over an
idle window first and reported apart.

    .venv/bin/python bench/capacity.py [--posts 10000] [--single 2000] [--rate 100] \\
        > bench/results/capacity.json

Then `bench/capacity_model.py bench/results/capacity.json` extrapolates to a deployment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from haven.state_redis import COMPACT_MEMBER_BYTES, COMPACT_SETTINGS  # noqa: E402
from haven.store.migrate import upgrade  # noqa: E402
from haven.store.sql import SqlStore  # noqa: E402
from own_postgres import own_postgres  # noqa: E402
from pipeline import (  # noqa: E402
    batch_bodies,
    calm_texts,
    committed_policies,
    corpus_texts,
    send_batches,
    send_singles,
    tree_cpu_seconds,
)

from tests.integration.harness import (  # noqa: E402
    HavenProcess,
    OwnRedis,
    full_mode_env,
    new_key_prefix,
    start_api,
    start_worker,
    wait_until,
    webhook_receiver,
)

EVENT_TYPES = ["decision.created", "escalation.created", "conversation.flagged"]


def redis_counters(client: redis.Redis) -> dict[str, Any]:
    stats = client.info("commandstats")
    info = client.info()
    return {
        "commands": {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()},
        "net_in": int(info["total_net_input_bytes"]),
        "net_out": int(info["total_net_output_bytes"]),
        "used_memory": int(info["used_memory"]),
        "keys": int(client.dbsize()),
    }


def pg_counters(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as db:
        tables = db.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, pg_total_relation_size(relid) FROM pg_stat_user_tables"
        ).fetchall()
        wal = db.execute("SELECT wal_records, wal_bytes, wal_fpi FROM pg_stat_wal").fetchone()
        database = db.execute(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, pg_database_size(datname) "
            "FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        # The statistics collector reports with a delay; ask for a fresh snapshot next time.
        db.execute("SELECT pg_stat_clear_snapshot()")
    assert wal is not None
    assert database is not None
    return {
        "tables": {name: {"ins": i, "upd": u, "del": d, "bytes": size} for name, i, u, d, size in tables},
        "wal_records": int(wal[0]),
        "wal_bytes": int(wal[1]),
        "wal_full_page_images": int(wal[2]),
        "commits": int(database[0]),
        "database_bytes": int(database[4]),
    }


def snapshot(
    worker: HavenProcess, api: HavenProcess, client: redis.Redis, pg_url: str, received: int
) -> dict[str, Any]:
    assert worker.process is not None
    assert api.process is not None
    return {
        "at": time.monotonic(),
        "worker_cpu": tree_cpu_seconds(worker.process.pid),
        "api_cpu": tree_cpu_seconds(api.process.pid),
        "redis": redis_counters(client),
        "pg": pg_counters(pg_url),
        "deliveries": received,
    }


def difference(before: dict[str, Any], after: dict[str, Any], posts: int) -> dict[str, Any]:
    """Each counter's change, divided by the number of posts."""
    per = 1 / posts
    commands = {
        name: round((calls - before["redis"]["commands"].get(name, 0)) * per, 3)
        for name, calls in after["redis"]["commands"].items()
        if calls - before["redis"]["commands"].get(name, 0) > 0
    }
    tables = {}
    for name, now in after["pg"]["tables"].items():
        was = before["pg"]["tables"].get(name, {"ins": 0, "upd": 0, "del": 0, "bytes": 0})
        change = {k: round((now[k] - was[k]) * per, 3) for k in ("ins", "upd", "del", "bytes")}
        if any(change.values()):
            tables[name] = change
    pg_b, pg_a = before["pg"], after["pg"]
    return {
        "posts": posts,
        "seconds": round(after["at"] - before["at"], 2),
        "worker_cpu_ms": round((after["worker_cpu"] - before["worker_cpu"]) * per * 1000, 3),
        "api_cpu_ms": round((after["api_cpu"] - before["api_cpu"]) * per * 1000, 3),
        "redis_commands": dict(sorted(commands.items(), key=lambda kv: -kv[1])),
        "redis_commands_total": round(sum(commands.values()), 3),
        "redis_bytes_in": round((after["redis"]["net_in"] - before["redis"]["net_in"]) * per),
        "redis_bytes_out": round((after["redis"]["net_out"] - before["redis"]["net_out"]) * per),
        "redis_memory_bytes": round((after["redis"]["used_memory"] - before["redis"]["used_memory"]) * per),
        "redis_keys": round((after["redis"]["keys"] - before["redis"]["keys"]) * per, 3),
        "pg_tables": tables,
        "pg_rows_written": round(sum(t["ins"] + t["upd"] + t["del"] for t in tables.values()), 3),
        "pg_commits": round((pg_a["commits"] - pg_b["commits"]) * per, 3),
        "pg_wal_bytes": round((pg_a["wal_bytes"] - pg_b["wal_bytes"]) * per),
        "pg_wal_records": round((pg_a["wal_records"] - pg_b["wal_records"]) * per, 2),
        "pg_wal_full_page_images": round((pg_a["wal_full_page_images"] - pg_b["wal_full_page_images"]) * per, 3),
        "pg_database_bytes": round((pg_a["database_bytes"] - pg_b["database_bytes"]) * per),
        "webhook_deliveries": round((after["deliveries"] - before["deliveries"]) * per, 3),
    }


def decided(pg_url: str) -> int:
    with psycopg.connect(pg_url) as db:
        row = db.execute("SELECT count(*) FROM decisions").fetchone()
    return int(row[0]) if row else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=4_000, help="posts in the batch phase (whole corpus), by 100")
    parser.add_argument("--calm", type=int, default=10_000, help="posts in the calm batch phase, by 100")
    parser.add_argument("--single", type=int, default=2_000, help="posts in the one-per-request phase")
    parser.add_argument("--rate", type=int, default=100, help="posts/s of the one-per-request phase")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle window")
    parser.add_argument("--concurrency", type=int, default=4, help="worker threads")
    parser.add_argument(
        "--redis-defaults", action="store_true", help="Redis as shipped, not set up as docs/operations.md recommends"
    )
    args = parser.parse_args()
    ordinary, crisis = corpus_texts()
    # The corpus as it is: hard cases, a fifth or so of them crises. Real traffic is calmer,
    # so the verdict mix (and with it the webhook fan-out) here is an upper bound.
    texts = ordinary + crisis
    policies = committed_policies()
    # A calmer mix than the whole corpus, closer to ordinary support-group traffic.
    calm = calm_texts(ordinary, policies)
    folder = Path(tempfile.mkdtemp(prefix="haven-capacity-"))
    results: dict[str, Any] = {"corpus": {"texts": len(texts), "crisis_texts": len(crisis), "calm_texts": len(calm)}}
    # Redis set up as docs/operations.md recommends for the state (--redis-defaults: as shipped).
    recommended = tuple(part for setting in COMPACT_SETTINGS for part in (f"--{setting}", str(COMPACT_MEMBER_BYTES)))
    own_redis = OwnRedis(folder, *(() if args.redis_defaults else recommended))
    own_redis.start()
    results["redis_settings"] = [] if args.redis_defaults else list(recommended)
    try:
        with own_postgres(folder) as pg_url, webhook_receiver() as receiver:
            store = SqlStore.from_url(pg_url.replace("postgresql://", "postgresql+psycopg://"))
            upgrade(store.engine)
            community = "capacity"
            secret, _ = store.create_api_key(community, ["admin"])
            store.dispose()
            env = full_mode_env(
                own_redis.url,
                new_key_prefix(),
                pg_url,
                folder,
                visibility_seconds=600,
                HAVEN_POLICY_DIR=str(policies),
                HAVEN_SWEEP_AFTER_SECONDS="300",
            )
            worker = start_worker(env, folder / "worker.log", "--concurrency", str(args.concurrency))
            api, base = start_api(env, folder / "api.log")
            rclient = redis.Redis.from_url(own_redis.url)
            try:
                headers = {"authorization": f"Bearer {secret}"}
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    path = receiver.new_path()
                    subscription = {"url": receiver.base_url + path, "event_types": EVENT_TYPES}
                    made = client.post("/v1/webhooks", json=subscription)
                    made.raise_for_status()
                    receiver.verify_with(path, made.json()["secret"])

                    def settled(total: int) -> None:
                        wait_until(lambda: decided(pg_url) >= total, timeout=900, interval=0.5)
                        # Deliveries trail decisions: wait until their count stops moving.
                        last = -1
                        while len(receiver.at(path)) != last:
                            last = len(receiver.at(path))
                            time.sleep(2)

                    def snap() -> dict[str, Any]:
                        return snapshot(worker, api, rclient, pg_url, len(receiver.at(path)))

                    print("warm-up", file=sys.stderr)
                    send_batches(client, batch_bodies(community, texts, 1_000))
                    settled(1_000)
                    print("idle window", file=sys.stderr)
                    before = snap()
                    time.sleep(args.idle)
                    idle = difference(before, snap(), 1)
                    results["idle_per_second"] = {
                        "worker_cpu_ms": round(idle["worker_cpu_ms"] / idle["seconds"], 3),
                        "api_cpu_ms": round(idle["api_cpu_ms"] / idle["seconds"], 3),
                        "redis_commands": {k: round(v / idle["seconds"], 2) for k, v in idle["redis_commands"].items()},
                    }
                    print(f"batch phase: {args.posts} posts", file=sys.stderr)
                    before = snap()
                    send_batches(client, batch_bodies(community, texts, args.posts))
                    settled(1_000 + args.posts)
                    results["batch"] = difference(before, snap(), args.posts)
                    print(json.dumps(results["batch"]), file=sys.stderr)
                    print(f"calm phase: {args.calm} posts", file=sys.stderr)
                    before = snap()
                    send_batches(client, batch_bodies(community, calm, args.calm))
                    settled(1_000 + args.posts + args.calm)
                    results["calm"] = difference(before, snap(), args.calm)
                    print(json.dumps(results["calm"]), file=sys.stderr)
                    print(f"single phase: {args.single} posts at {args.rate}/s", file=sys.stderr)
                    before = snap()
                    send_singles(client, community, texts, args.single, args.rate)
                    settled(1_000 + args.posts + args.calm + args.single)
                    results["single"] = difference(before, snap(), args.single)
                    print(json.dumps(results["single"]), file=sys.stderr)
                    results["verdicts"] = verdict_mix(pg_url)
                    results["redis_keys_by_kind"] = keys_by_kind(rclient)
                    results["row_bytes"] = row_bytes(pg_url)
                    results["deliveries_verified"] = all(r.verified for r in receiver.at(path))
            finally:
                rclient.close()
                api.stop()
                worker.stop()
    finally:
        own_redis.kill()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    results["setup"] = {
        "commit": head.stdout.strip(),
        "worker": f"1 process, --pool threads --concurrency {args.concurrency}",
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(results, indent=2))
    return 0


def verdict_mix(pg_url: str) -> dict[str, float]:
    with psycopg.connect(pg_url) as db:
        rows = db.execute("SELECT verdict, count(*) FROM decisions GROUP BY verdict").fetchall()
    total = sum(n for _, n in rows)
    return {str(v): round(n / total, 3) for v, n in rows}


def keys_by_kind(client: redis.Redis) -> dict[str, dict[str, Any]]:
    """Keys left in Redis by kind (dedupe, counter, conversation thread or author, queue),
    with their entries (sorted-set members), memory (MEMORY USAGE) and longest TTL: what
    stays in memory per post, and for how long."""
    kinds: dict[str, dict[str, Any]] = {}
    for key in client.scan_iter(count=1000):
        name = key.decode(errors="replace")
        rest = name.split(":", 1)[1] if name.startswith("haven-test-") else name
        parts = rest.split(":")
        kind = ":".join(parts[:3] if parts[:2] == ["haven", "conversation"] else parts[:2])
        entry = kinds.setdefault(kind, {"keys": 0, "entries": 0, "bytes": 0, "ttl_seconds_max": -1})
        entry["keys"] += 1
        kind_of = client.type(key)
        entry["entries"] += client.zcard(key) if kind_of == b"zset" else client.hlen(key) if kind_of == b"hash" else 1
        entry["bytes"] += client.memory_usage(key) or 0
        entry["ttl_seconds_max"] = max(entry["ttl_seconds_max"], client.ttl(key))
    for entry in kinds.values():
        entry["bytes_per_entry"] = round(entry["bytes"] / max(entry["entries"], 1), 1)
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]["bytes"]))


def row_bytes(pg_url: str) -> dict[str, float]:
    """Mean stored width of a decisions row (pg_column_size), TOAST included."""
    with psycopg.connect(pg_url) as db:
        row = db.execute("SELECT avg(pg_column_size(d.*)) FROM decisions d").fetchone()
    return {"decisions_mean_row_bytes": round(float(row[0]), 1) if row and row[0] else 0.0}


if __name__ == "__main__":
    sys.exit(main())
