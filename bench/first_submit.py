"""What the API's first posts after a start pay for Celery's set-up: the wall time of
`CeleryWorkQueue.submit` for its first few posts, with the queue's start-up warm-up
(`start()`) or without it.

    .venv/bin/python bench/first_submit.py [--no-start] [--processes 5]

Each process builds a work queue on Redis database 13 under a key prefix of its own,
sends four crisis-queue posts one by one (the crisis queue sends at once, without the
grouping window) and deletes its keys. Needs Redis on 127.0.0.1:6379. Prints one JSON
object: per process, the start's milliseconds and each submit's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(start: bool) -> dict[str, object]:
    import redis
    from haven.config import Settings
    from haven.domain import Author, Post
    from haven.tasks import CeleryWorkQueue

    prefix = f"haven-bench-first-{uuid.uuid4().hex[:8]}:"
    for name in [k for k in os.environ if k.startswith("HAVEN_")]:
        del os.environ[name]
    os.environ.update(
        HAVEN_REDIS_URL="redis://127.0.0.1:6379/13",
        HAVEN_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
        HAVEN_REDIS_KEY_PREFIX=prefix,
    )
    queue = CeleryWorkQueue.from_settings(Settings.from_env())
    queue.ping()
    began = time.perf_counter()
    if start:
        queue.start()
    started = (time.perf_counter() - began) * 1000
    submits = []
    for i in range(4):
        post = Post(platform="p", community="c", external_id=f"first-{i}", author=Author(id="a"), body="hello")
        began = time.perf_counter()
        queue.submit([post], received_at=datetime.now(UTC), queue="crisis")
        submits.append(round((time.perf_counter() - began) * 1000, 1))
    queue.close()
    client = redis.Redis.from_url("redis://127.0.0.1:6379/13")
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()
    return {"start_ms": round(started, 1), "submit_ms": submits}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-start", action="store_true", help="without the queue's start-up warm-up")
    parser.add_argument("--processes", type=int, default=5, help="fresh processes, one after the other")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(not args.no_start)))
        return 0
    command = [sys.executable, __file__, "--child", *(["--no-start"] if args.no_start else [])]
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "service")}
    runs = [json.loads(subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout)
            for _ in range(args.processes)]  # fmt: skip
    print(json.dumps({"command": " ".join(["bench/first_submit.py", *sys.argv[1:]]), "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
