"""The worker's decide path alone: `Pipeline.decide` as a worker process builds it, on a real
PostgreSQL and Redis, in batches of 100 posts of `tests/corpus/` (or `--size` posts: 1 is a
post sent alone, which travels as a task of its own), timed in CPU and wall time
and profiled. It judges with the default pack as committed, learned models included, as
`bench/pipeline.py` does (`--policies DIR` for another folder; until 2026-12-02 15:10 UTC it
used the integration tests' small folder, which has no models).

    scripts/services
    .venv/bin/python bench/worker_decide.py [--batches 20] [--size 100] [--top 25] [--no-profile] [--policies DIR]
        [--no-prepared-statements]

It prints CPU and wall milliseconds a post and the functions with the most cumulative time
(cProfile), so the engine's share of a worker's work can be read beside SQL and Redis.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from haven.domain import Author, Post  # noqa: E402
from haven.heap import freeze_start_up_heap  # noqa: E402
from haven.store.migrate import upgrade  # noqa: E402
from haven.store.sql import SqlStore  # noqa: E402
from pipeline import committed_policies, corpus_texts  # noqa: E402

from tests.integration.harness import REDIS_HOST, delete_keys, haven_env, new_key_prefix, postgres_database  # noqa: E402


@contextmanager
def worker_runtime(policies: Path, prepared_statements: bool = True) -> Iterator[Any]:
    """A worker's runtime as `haven worker` builds it, on a fresh database (dropped after)
    and Redis database 3 under a key prefix of its own (deleted after)."""
    redis_url = f"{REDIS_HOST}/3"
    prefix = new_key_prefix()
    with postgres_database("haven_bench") as url:
        store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        store.dispose()
        os.environ.update(
            haven_env(HAVEN_REDIS_URL=redis_url, HAVEN_REDIS_KEY_PREFIX=prefix, HAVEN_DATABASE_URL=url,
                      HAVEN_POLICY_DIR=str(policies),
                      HAVEN_DATABASE_PREPARED_STATEMENTS=str(prepared_statements).lower())
        )  # fmt: skip
        from haven.config import Settings
        from haven.tasks import WorkerRuntime

        runtime = WorkerRuntime.from_settings(Settings.from_env())
        try:
            yield runtime
        finally:
            runtime.services.close()
            delete_keys(redis_url, prefix)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=20, help="batches timed")
    parser.add_argument("--size", type=int, default=100, help="posts a batch")
    parser.add_argument("--no-profile", action="store_true", help="time without cProfile's overhead")
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    parser.add_argument("--policies", type=Path, default=None, help="policy folder (default: the pack as committed)")
    parser.add_argument(
        "--no-prepared-statements", action="store_true", help="as behind a transaction pooler (PgBouncer < 1.21)"
    )
    args = parser.parse_args()
    ordinary, crisis = corpus_texts()
    texts = ordinary + crisis
    policies = args.policies or committed_policies()
    with worker_runtime(policies, prepared_statements=not args.no_prepared_statements) as runtime:

        def batch(n: int) -> list[Post]:
            return [
                Post(platform="bench", community="bench", external_id=uuid.uuid4().hex,
                     author=Author(id=f"a{i % 50}"), body=texts[(n * args.size + i) % len(texts)])
                for i in range(args.size)
            ]  # fmt: skip

        for n in range(3):  # warm: connections, caches
            runtime.pipeline.decide(batch(n), datetime.now(UTC))
        # As `haven worker` does once it is ready (haven.heap); until 2026-12-05 this benchmark
        # did not, and its collector's full passes walked the whole start-up heap.
        freeze_start_up_heap()
        profile = cProfile.Profile()
        cpu, wall = time.process_time(), time.perf_counter()
        if not args.no_profile:
            profile.enable()
        for n in range(args.batches):
            runtime.pipeline.decide(batch(n + 3), datetime.now(UTC))
        profile.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        posts = args.batches * args.size
        how = "" if args.no_profile else " (profiled)"
        print(f"{posts} posts: {cpu * 1000 / posts:.3f} ms CPU, {wall * 1000 / posts:.3f} ms wall a post{how}")
        if not args.no_profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
