"""A worker's reads and deletes by a task's ids, against PostgreSQL: the CPU a call costs the
process (`SqlStore.get_decisions` of 100 ids none of which is decided, as at the start of
every task), for a before-and-after of how the ids are bound.

    .venv/bin/python bench/id_lists.py [--service DIR] [--ids 100] [--calls 300] [--rounds 3]

`--service` runs another tree's `service/` (`git worktree add` or `git archive COMMIT
service | tar -x -C DIR`). Needs PostgreSQL on 127.0.0.1:5432 (scripts/services); the
database is made for the run and dropped after it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid

from store_tree import add_service_argument, fresh_store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_service_argument(parser)
    parser.add_argument("--ids", type=int, default=100, help="ids a call (a task's posts)")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = []
    with fresh_store(args.service, "haven_bench_id_lists") as store:
        for _ in range(20):  # connections opened, statements prepared
            store.get_decisions([str(uuid.uuid4()) for _ in range(args.ids)])
        for _ in range(args.rounds):
            calls = [[str(uuid.uuid4()) for _ in range(args.ids)] for _ in range(args.calls)]
            started = time.process_time()
            for ids in calls:
                store.get_decisions(ids)
            rounds.append(round((time.process_time() - started) / args.calls * 1000, 3))
    print(json.dumps({"service": str(args.service), "ids": args.ids, "calls": args.calls, "cpu_ms_a_call": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
