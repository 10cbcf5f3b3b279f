"""The API's hold of a post sent on its own (`SqlStore.hold_pending`), against PostgreSQL:
the wall time of the round trips on the one-per-request path, before the API answers.

    .venv/bin/python bench/hold.py [--service DIR] [--posts 400] [--rounds 2]
    .venv/bin/python bench/hold.py --beside-batches 4 [--queue crisis]

With `--beside-batches N`, N threads hold batches of 100 ordinary posts without pause
meanwhile, as the API's request threads do under a backlog, and the lone posts are held
for `--queue` (default: crisis, the posts that must not wait); the figures add the max.

`--service` runs another tree's `service/` (`git archive COMMIT service | tar -x -C DIR`)
for a before-and-after. Needs PostgreSQL on 127.0.0.1:5432 (scripts/services); the
database is made for the run and dropped after it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

from store_tree import add_service_argument, fresh_store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_service_argument(parser)
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--beside-batches", type=int, default=0, help="threads holding batches of 100 meanwhile")
    parser.add_argument("--queue", default=None, help="the lone posts' queue (default, or crisis beside batches)")
    args = parser.parse_args()
    rounds = []
    with fresh_store(args.service, "haven_bench_hold") as store:
        from haven.domain import Author, Post

        now = datetime.now(UTC)
        queue = args.queue or ("crisis" if args.beside_batches else "default")

        def a_post() -> Post:
            return Post(platform="p", community="c", external_id=uuid.uuid4().hex, author=Author(id="a"), body="hi")

        stop = threading.Event()
        batches = [0]

        def hold_batches() -> None:
            while not stop.is_set():
                store.hold_pending([(a_post(), now, "default") for _ in range(100)], due_at=now)
                batches[0] += 1

        threads = [threading.Thread(target=hold_batches, daemon=True) for _ in range(args.beside_batches)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        for _ in range(args.rounds):
            times = []
            for _ in range(args.posts):
                post = a_post()
                start = time.perf_counter()
                store.hold_pending([(post, now, queue)], due_at=now)
                times.append((time.perf_counter() - start) * 1000)
                if threads:
                    time.sleep(0.01)  # lone posts arrive now and then, not back to back
            deciles = statistics.quantiles(times, n=10)
            figures = {"p50_ms": round(statistics.median(times), 3), "p90_ms": round(deciles[8], 3)}
            rounds.append({**figures, "max_ms": round(max(times), 3)} if threads else figures)
        stop.set()
        for thread in threads:
            thread.join()
        rate = {"batches_held_per_s": round(batches[0] / (time.perf_counter() - started))}
    beside = {"beside_batches": args.beside_batches, **rate} if threads else {}
    print(json.dumps({"service": str(args.service), "posts": args.posts, "queue": queue, **beside, "rounds": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
