"""What the first posts after a start pay, on either side: the API's
`CeleryWorkQueue.submit` and a worker's `Pipeline.decide`, timed for the first four posts
of fresh processes, with that side's start-up warm-up (`CeleryWorkQueue.start`,
`WorkerRuntime.warm_up`, as `haven serve` and `haven worker` run them) or without it.

    .venv/bin/python bench/first_posts.py --side api|worker [--cold] [--processes 5]

The API side sends crisis-queue posts (sent at once, without the grouping window) to
Redis database 13 under a key prefix of its own; the worker side builds its runtime as
`bench/worker_decide.py` does. Needs Redis and PostgreSQL on 127.0.0.1 (scripts/services).
Prints one JSON object: per process, the warm-up's milliseconds and each post's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTS = 4


def _timed(warm_up: Callable[[], None] | None, one: Callable[[int], None]) -> dict[str, object]:
    began = time.perf_counter()
    if warm_up is not None:
        warm_up()
    warmed = round((time.perf_counter() - began) * 1000, 1)
    each = []
    for i in range(POSTS):
        began = time.perf_counter()
        one(i)
        each.append(round((time.perf_counter() - began) * 1000, 1))
    return {"warm_up_ms": warmed, "post_ms": each}


def api_side(warm: bool) -> dict[str, object]:
    import redis
    from haven.config import Settings
    from haven.domain import Author, Post
    from haven.tasks import CeleryWorkQueue

    prefix = f"haven-bench-first-{uuid.uuid4().hex[:8]}:"
    for name in [k for k in os.environ if k.startswith("HAVEN_")]:
        del os.environ[name]
    url = "redis://127.0.0.1:6379/13"
    os.environ.update(
        HAVEN_REDIS_URL=url,
        HAVEN_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
        HAVEN_REDIS_KEY_PREFIX=prefix,
    )
    queue = CeleryWorkQueue.from_settings(Settings.from_env())
    queue.ping()

    def one(i: int) -> None:
        post = Post(platform="p", community="c", external_id=f"first-{i}", author=Author(id="a"), body="hello")
        queue.submit([post], received_at=datetime.now(UTC), queue="crisis")

    try:
        return _timed(queue.start if warm else None, one)
    finally:
        queue.close()
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()


def worker_side(warm: bool) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from haven.domain import Author, Post
    from pipeline import committed_policies, corpus_texts
    from worker_decide import worker_runtime

    texts, _ = corpus_texts()
    with worker_runtime(committed_policies()) as runtime:

        def one(i: int) -> None:
            post = Post(platform="bench", community="bench", external_id=uuid.uuid4().hex,
                        author=Author(id="a"), body=texts[i])  # fmt: skip
            runtime.pipeline.decide([post], datetime.now(UTC))

        return _timed(runtime.warm_up if warm else None, one)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", choices=("api", "worker"), required=True)
    parser.add_argument("--cold", action="store_true", help="without the side's start-up warm-up")
    parser.add_argument("--processes", type=int, default=5, help="fresh processes, one after the other")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side = api_side if args.side == "api" else worker_side
        print(json.dumps(side(not args.cold)))
        return 0
    command = [sys.executable, __file__, "--child", "--side", args.side, *(["--cold"] if args.cold else [])]
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "service")}
    runs = []
    for _ in range(args.processes):
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({"command": " ".join(["bench/first_posts.py", *sys.argv[1:]]), "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
