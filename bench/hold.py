"""The API's hold of a post sent on its own (`SqlStore.hold_pending`), against PostgreSQL:
the wall time of the round trips on the one-per-request path, before the API answers.

    .venv/bin/python bench/hold.py [--service DIR] [--posts 400] [--rounds 2]

`--service` runs another tree's `service/` (`git archive COMMIT service | tar -x -C DIR`)
for a before-and-after. Needs PostgreSQL on 127.0.0.1:5432 (scripts/services); the
database is made for the run and dropped after it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", type=Path, default=ROOT / "service", help="the service/ folder to run")
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(args.service))
    sys.path.insert(1, str(ROOT))
    from haven.domain import Author, Post
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    from tests.integration.harness import postgres_database

    rounds = []
    with postgres_database("haven_bench_hold") as url:
        store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        now = datetime.now(UTC)
        for _ in range(args.rounds):
            times = []
            for _ in range(args.posts):
                post = Post(platform="p", community="c", external_id=uuid.uuid4().hex, author=Author(id="a"), body="hi")
                start = time.perf_counter()
                store.hold_pending([(post, now, "default")], due_at=now)
                times.append((time.perf_counter() - start) * 1000)
            deciles = statistics.quantiles(times, n=10)
            rounds.append({"p50_ms": round(statistics.median(times), 3), "p90_ms": round(deciles[8], 3)})
        store.dispose()
    print(json.dumps({"service": str(args.service), "posts": args.posts, "rounds": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
