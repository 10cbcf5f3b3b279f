"""What a worker's batch read of the counters costs when authors have a long history.

Each author's counter set keeps 90 days (`RedisCounterStore`); the default pack's counter
matchers look back 48 hours at most. This seeds `--authors` authors with `--history`
entries each, spread evenly over 90 days, then times what a worker does for a batch of 100
posts by 100 of them: the batch's read and three counts a post (as the pack's three counter
matchers ask), with the read going back 90 days (as before the batch took `since`) and
going back only as far as the pack's longest window.

    scripts/services
    .venv/bin/python bench/counter_reads.py [--authors 1000] [--history 200] [--batches 50] [--protocol 2]

Prints CPU milliseconds a batch and entries read a batch, both ways, on Redis database 3
under a key prefix of its own (deleted after). `--protocol 3` reads as redis-py does by
default (RESP3), where each score is turned into text and parsed again; a worker's client
speaks RESP2 (`WorkerRuntime.from_settings`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from haven.counters_redis import RedisCounterStore  # noqa: E402
from haven.policy import load_policy_set  # noqa: E402

from tests.integration.harness import REDIS_HOST, delete_keys, new_key_prefix  # noqa: E402

CATEGORIES = ("crisis.suicide", "crisis.self-harm", "community.hostility", "confidentiality.contact")
BATCH = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", type=int, default=1000)
    parser.add_argument("--history", type=int, default=200, help="entries an author has, over 90 days")
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--protocol", type=int, choices=(2, 3), default=2, help="Redis protocol of the reads")
    args = parser.parse_args()
    window = load_policy_set(REPO / "policies").longest_counter_seconds
    url = f"{REDIS_HOST}/3"
    prefix = new_key_prefix()
    client = redis.Redis.from_url(url, protocol=args.protocol)
    # The 90 days the counters kept until HAVEN_COUNTER_WINDOW_SECONDS (7 days by default):
    # the read's window is what is measured, whatever is kept.
    counters = RedisCounterStore(client, prefix=prefix + "haven:counter", keep_seconds=90 * 86400)
    now = datetime.now(UTC)
    rng = random.Random(1)
    try:
        pipe = client.pipeline(transaction=False)
        for author in range(args.authors):
            key = counters._key("bench", f"a{author}")
            entries = {
                f"{rng.choice(CATEGORIES)}\x1fpost-{author}-{n}": (
                    now - timedelta(days=90 * n / args.history)
                ).timestamp()
                for n in range(args.history)
            }
            pipe.zadd(key, entries)
        pipe.execute()
        results = {}
        for name, since in (("90 days", None), (f"the pack's longest window ({window} s)", now.timestamp() - window)):
            read = 0
            cpu = time.process_time()
            for _ in range(args.batches):
                authors = [("bench", f"a{rng.randrange(args.authors)}") for _ in range(BATCH)]
                with counters.batch(authors, since=since):
                    batch = counters._current()
                    assert batch is not None
                    read += sum(len(found) for found in batch.entries.values())
                    for community, author in authors:
                        for category in ("crisis.imminent", "crisis.suicide", "crisis.self-harm"):
                            counters.count(community, author, category, now - timedelta(seconds=window))
            cpu = time.process_time() - cpu
            results[name] = {"cpu_ms_a_batch": round(cpu / args.batches * 1000, 2),
                             "entries_read_a_batch": round(read / args.batches)}  # fmt: skip
        print(
            json.dumps({"authors": args.authors, "history": args.history, "batches": args.batches, **results}, indent=2)
        )
    finally:
        delete_keys(url, prefix)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
