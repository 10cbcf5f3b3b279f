"""Extrapolate the per-post costs measured by bench/capacity.py to a deployment.

    .venv/bin/python bench/capacity_model.py bench/results/capacity.json [--posts-per-day 100e6] [--peak 5]

A model, not a measurement: every figure below is a measured per-post cost multiplied by a
rate, or divided by a per-node budget that is an assumption stated here (ASSUMPTIONS),
not something measured on this machine. Prints Markdown (docs/capacity.md holds a run).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

DAY = 86_400
WARM_UP = 1_000  # posts bench/capacity.py sends before measuring

ASSUMPTIONS = {
    # One `haven worker` process holds the interpreter lock; bench/README.md measured one
    # process using 0.6-0.95 of a core. Plan a worker pod as one process on one core, run
    # at 70% so a peak does not queue.
    "worker_core_utilisation": 0.7,
    "api_core_utilisation": 0.7,
    # Redis is single-threaded per shard. redis-benchmark reaches 100k+ simple ops/s per
    # core; Haven's mix is mostly sorted-set writes in pipelines. Plan 50k commands/s a
    # shard, half of what a shard does, so a resharding or a failover has room.
    "redis_commands_per_shard": 50_000,
    # A Redis shard's data kept well under a 25 GiB node (fork for replication doubles it).
    "redis_gib_per_shard": 12,
    # One PostgreSQL primary on NVMe: sustained commits/s and WAL MB/s taken as the planning
    # ceiling (group commit helps; these are conservative figures for one large host).
    "pg_commits_per_s": 20_000,
    "pg_wal_mb_per_s": 150,
    # Retention of decisions and deliveries (HAVEN_RETENTION_DAYS default).
    "retention_days": 90,
    # Dedupe keys live HAVEN_DEDUPE_TTL_SECONDS (1 day); conversation state the conversation
    # window (7 days); counters HAVEN_COUNTER_WINDOW_SECONDS (7 days) per (community, author).
    "dedupe_days": 1,
    "conversation_days": 7,
    "counter_days": 7,
    # Counter entries are written for the categories a post matched; the corpus is made of
    # hard cases (42% of its posts not allowed). Ordinary support-group traffic is assumed to
    # have 5% of posts matching a category; counters are also shown scaled to that share.
    "flagged_share_assumed": 0.05,
    # The benchmark's posts each start a thread of their own, so a conversation key holds one
    # turn and its key overhead is counted per post: an upper bound for threads of many posts.
}


def model(results: dict[str, Any], phase: str, posts_per_day: float, peak: float) -> dict[str, Any]:
    a = ASSUMPTIONS
    cost = results[phase]
    mean = posts_per_day / DAY
    top = mean * peak
    worker_cores = top * cost["worker_cpu_ms"] / 1000
    api_cores = top * cost["api_cpu_ms"] / 1000
    redis_ops = top * cost["redis_commands_total"]
    kinds = results["redis_keys_by_kind"]
    # Keys left in Redis at the end of the run came from every post sent, warm-up included.
    measured_posts = WARM_UP + sum(results[p]["posts"] for p in ("batch", "calm", "single"))

    def resident(kind: str, days: float) -> float:
        found = kinds.get(kind)
        if not found:
            return 0.0
        per_post = found["bytes"] / measured_posts
        return per_post * posts_per_day * days

    memory = {
        "dedupe": resident("haven:post", a["dedupe_days"]),
        # a thread's turns and an author's indexed replies; until a2bf542 a thread's turns were
        # a sorted set (`thread`) with each post's latest turn beside it (`post`)
        "conversation": sum(
            resident(f"haven:conversation:{kind}", a["conversation_days"])
            for kind in ("turns", "author", "thread", "post")
        ),
        "counters": resident("haven:counter", a["counter_days"]),
    }
    flagged = 1 - results["verdicts"].get("allow", 0.0)
    memory["counters_at_assumed_share"] = memory["counters"] * a["flagged_share_assumed"] / flagged
    memory_gib = (memory["dedupe"] + memory["conversation"] + memory["counters"]) / 2**30
    assumed_gib = (memory["dedupe"] + memory["conversation"] + memory["counters_at_assumed_share"]) / 2**30
    # What stays for the retention: the tables whose rows the run only added. A table whose
    # rows are deleted as posts are decided (`pending_posts`) holds the backlog, not the
    # days; its dead tuples, and a vacuum's truncation of them, made the database's own
    # growth over a phase noisy, even negative (the single phase at 49eb690: -135 bytes).
    pg_day = posts_per_day * sum(max(table["bytes"], 0.0) for table in cost["pg_tables"].values() if table["del"] == 0)
    commits = top * cost["pg_commits"]
    wal = top * cost["pg_wal_bytes"] / 1e6
    shards_ops = math.ceil(redis_ops / a["redis_commands_per_shard"])
    shards_memory = math.ceil(memory_gib / a["redis_gib_per_shard"])
    pressure = {
        "Redis commands (one shard)": redis_ops / a["redis_commands_per_shard"],
        "Redis memory (one shard)": memory_gib / a["redis_gib_per_shard"],
        "PostgreSQL commits (one primary)": commits / a["pg_commits_per_s"],
        "PostgreSQL WAL (one primary)": wal / a["pg_wal_mb_per_s"],
    }
    return {
        "phase": phase,
        "mean_posts_per_s": round(mean),
        "peak_posts_per_s": round(top),
        "worker_cores_at_peak": round(worker_cores, 1),
        "worker_processes_at_peak": math.ceil(worker_cores / a["worker_core_utilisation"]),
        "worker_processes_at_mean": math.ceil(worker_cores / peak / a["worker_core_utilisation"]),
        "api_processes_at_peak": math.ceil(api_cores / a["api_core_utilisation"]),
        "redis_commands_per_s_at_peak": round(redis_ops),
        "redis_network_mb_per_s_at_peak": round(top * (cost["redis_bytes_in"] + cost["redis_bytes_out"]) / 1e6, 1),
        "redis_memory_gib": {k: round(v / 2**30, 1) for k, v in memory.items()},
        "redis_memory_gib_total": round(memory_gib, 1),
        "redis_memory_gib_total_at_assumed_share": round(assumed_gib, 1),
        "redis_shards": max(shards_ops, shards_memory),
        "pg_rows_written_per_s_at_peak": round(top * cost["pg_rows_written"]),
        "pg_commits_per_s_at_peak": round(commits),
        "pg_wal_mb_per_s_at_peak": round(wal, 1),
        "pg_gib_per_day": round(pg_day / 2**30, 1),
        "pg_tib_at_retention": round(pg_day * a["retention_days"] / 2**40, 2),
        "webhook_deliveries_per_s_at_peak_per_subscription": round(top * cost["webhook_deliveries"]),
        "load_on_one_node": {k: round(v, 2) for k, v in sorted(pressure.items(), key=lambda kv: -kv[1])},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--posts-per-day", type=float, default=100e6)
    parser.add_argument("--peak", type=float, default=5.0, help="peak rate as a multiple of the mean")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    out = {
        "assumptions": ASSUMPTIONS,
        "posts_per_day": args.posts_per_day,
        "peak": args.peak,
        "models": [model(results, phase, args.posts_per_day, args.peak) for phase in ("calm", "batch", "single")],
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
