"""What a worker's first tasks after a start pay: the wall time of `Pipeline.decide` for
its first posts, one post each, with the runtime's start-up warm-up
(`WorkerRuntime.warm_up`, as `haven worker` runs it before saying ready) or without it.

    .venv/bin/python bench/first_decide.py [--no-warm-up] [--processes 5]

Each fresh process builds a worker runtime on a database of its own (made and dropped)
and Redis database 3 under a key prefix of its own. Needs Redis and PostgreSQL on
127.0.0.1 (scripts/services). Prints one JSON object: per process, the warm-up's
milliseconds and each decide's.
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


def child(warm_up: bool) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from haven.domain import Author, Post
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore
    from pipeline import corpus_texts

    from tests.integration.harness import REDIS_HOST, delete_keys, haven_env, new_key_prefix, postgres_database

    texts, _ = corpus_texts()
    redis_url, prefix = f"{REDIS_HOST}/3", new_key_prefix()
    with postgres_database("haven_bench_first") as url:
        store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        store.dispose()
        os.environ.update(haven_env(HAVEN_REDIS_URL=redis_url, HAVEN_REDIS_KEY_PREFIX=prefix, HAVEN_DATABASE_URL=url))
        from haven.config import Settings
        from haven.tasks import WorkerRuntime

        worker = WorkerRuntime.from_settings(Settings.from_env())
        began = time.perf_counter()
        if warm_up:
            worker.warm_up()
        warmed = (time.perf_counter() - began) * 1000
        decides = []
        for i in range(4):
            post = Post(
                platform="bench", community="bench", external_id=uuid.uuid4().hex, author=Author(id="a"), body=texts[i]
            )
            began = time.perf_counter()
            worker.pipeline.decide([post], datetime.now(UTC))
            decides.append(round((time.perf_counter() - began) * 1000, 1))
        worker.services.close()
        delete_keys(redis_url, prefix)
    return {"warm_up_ms": round(warmed, 1), "decide_ms": decides}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-warm-up", action="store_true", help="without the runtime's start-up warm-up")
    parser.add_argument("--processes", type=int, default=5, help="fresh processes, one after the other")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(not args.no_warm_up)))
        return 0
    command = [sys.executable, __file__, "--child", *(["--no-warm-up"] if args.no_warm_up else [])]
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "service")}
    runs = []
    for _ in range(args.processes):
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({"command": " ".join(["bench/first_decide.py", *sys.argv[1:]]), "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
