"""Chaos run: posts flow while workers are SIGKILLed and Redis restarts empty; nothing is lost.

Starts, on loopback only, its own redis-server (no RDB, no AOF) on a free port, a fresh
PostgreSQL database, `haven serve`, two `haven worker` processes, `haven scheduler`
(the sweeper) and a webhook receiver subscribed to `decision.created`. It sends
`--posts` posts (each one held, so each raises a delivery) at `--rate` posts/s; every
`--kill-every` seconds one worker is killed with SIGKILL (process group, as when a node
dies) and started again, and at mid-run Redis is killed and restarted empty. Then it
waits, at most `--recover-seconds`, until every accepted post is decided and every
delivery received, and writes bench/results/chaos.json:

    .venv/bin/python bench/chaos.py [--posts 3000] [--rate 30] [--kill-every 10]

Bounded: at most `--posts` posts and `--max-seconds` of sending. Needs PostgreSQL on
127.0.0.1:5432 (scripts/services) and `redis-server` on PATH.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from haven.store.migrate import upgrade  # noqa: E402
from haven.store.sql import SqlStore  # noqa: E402

from tests.integration.harness import (  # noqa: E402
    HavenProcess,
    OwnRedis,
    full_mode_env,
    new_key_prefix,
    postgres_database,
    start_api,
    start_scheduler,
    start_worker,
    webhook_receiver,
)

HOSTILE = "shut up you idiot"
RESULTS = REPO / "bench" / "results" / "chaos.json"


def post(community: str) -> dict[str, Any]:
    return {
        "platform": "chaos",
        "community": community,
        "external_id": uuid.uuid4().hex,
        "author": {"id": f"author-{uuid.uuid4().hex[:8]}"},
        "body": HOSTILE,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="haven-chaos-"))
    own_redis = OwnRedis(folder)
    own_redis.start()
    community = f"chaos-{uuid.uuid4().hex[:8]}"
    processes: list[HavenProcess] = []
    with postgres_database("haven_chaos") as database, webhook_receiver() as receiver:
        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        env = full_mode_env(
            own_redis.url,
            new_key_prefix(),
            database,
            folder,
            visibility_seconds=30,
            HAVEN_SWEEP_AFTER_SECONDS=str(args.sweep_after),
            HAVEN_SWEEP_EVERY_SECONDS="1",
            HAVEN_WEBHOOK_MAX_ATTEMPTS="12",
        )
        try:
            api_process, base = start_api(env, folder / "api.log")
            processes.append(api_process)
            workers = [start_worker(env, folder / f"worker-{n}.log") for n in range(2)]
            scheduler = start_scheduler(env, folder / "scheduler.log")
            processes.append(scheduler)
            secret, _ = store.create_api_key(community, ["admin"])
            client = httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=30)
            path = receiver.new_path()
            made = client.post(
                "/v1/webhooks", json={"url": receiver.base_url + path, "event_types": ["decision.created"]}
            )
            receiver.verify_with(path, made.json()["secret"])

            accepted: list[str] = []
            answers: Counter[str] = Counter()
            done = threading.Event()

            def send() -> None:
                with httpx.Client(base_url=base, headers=dict(client.headers), timeout=30) as sender:
                    started = time.monotonic()
                    batch = 5
                    while len(accepted) < args.posts and time.monotonic() - started < args.max_seconds:
                        tick = time.monotonic()
                        try:
                            answer = sender.post(
                                "/v1/posts/batch", json={"posts": [post(community) for _ in range(batch)]}
                            )
                        except httpx.HTTPError:
                            answers["error"] += 1
                            continue
                        answers[str(answer.status_code)] += 1
                        if answer.status_code == 202:
                            for item in answer.json()["items"]:
                                answers[item["status"]] += 1
                                accepted.append(item["id"])
                        time.sleep(max(0.0, batch / args.rate - (time.monotonic() - tick)))
                done.set()

            sender = threading.Thread(target=send, daemon=True)
            started = time.monotonic()
            sender.start()
            kills = 0
            redis_restarts = 0
            while not done.wait(args.kill_every):
                victim = random.randrange(len(workers))
                workers[victim].kill_all()
                kills += 1
                if redis_restarts == 0 and len(accepted) >= args.posts // 2:
                    own_redis.restart_empty()
                    redis_restarts += 1
                workers[victim] = start_worker(env, folder / f"worker-{victim}-{kills}.log")
            sent_for = time.monotonic() - started

            def delivered() -> set[str]:
                return {r.payload["data"]["id"] for r in receiver.at(path) if r.verified}

            recovering = time.monotonic()
            deadline = recovering + args.recover_seconds
            while time.monotonic() < deadline:
                if len(store.decided_ids(accepted)) == len(accepted) and delivered() >= set(accepted):
                    break
                time.sleep(0.5)
            recovered_in = time.monotonic() - recovering
            decided = store.decided_ids(accepted)
            arrivals = Counter(r.headers["webhook-id"] for r in receiver.at(path))
            swept = sum(line.count('"sweeper.requeued"') for line in scheduler.logs().splitlines())
            result = {
                "command": " ".join(["bench/chaos.py", *sys.argv[1:]]),
                "posts_accepted": len(accepted),
                "posts_decided": len(decided),
                "posts_lost": len(set(accepted) - decided),
                "api_answers": dict(answers),
                "deliveries_expected": len(accepted),
                "deliveries_received_distinct": len(delivered()),
                "deliveries_received_total": sum(arrivals.values()),
                "deliveries_duplicated": sum(1 for n in arrivals.values() if n > 1),
                "worker_kills": kills,
                "redis_restarts": redis_restarts,
                "sweeps_that_requeued": swept,
                "sending_seconds": round(sent_for, 1),
                "seconds_to_recover_after_sending": round(recovered_in, 1),
                "sweep_after_seconds": args.sweep_after,
            }
            for worker in workers:
                worker.stop()
            return result
        finally:
            for process in processes:
                process.stop()
            store.dispose()
            own_redis.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=30.0, help="posts per second")
    parser.add_argument("--kill-every", type=float, default=10.0, help="seconds between worker kills")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="longest the sending may last")
    parser.add_argument("--recover-seconds", type=float, default=300.0, help="longest to wait for the rest")
    parser.add_argument("--sweep-after", type=float, default=10.0, help="HAVEN_SWEEP_AFTER_SECONDS")
    args = parser.parse_args()
    result = run(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
