"""What one state command costs the client, by the way a batch is sent: CPU µs a command.

    .venv/bin/python bench/state_commands.py [--rounds 7] > bench/results/state-commands.json

A batch as a worker's counters write it (ZADD NX, ZREMRANGEBYSCORE and EXPIRE for each of
100 keys: 300 commands), sent four ways: a bare redis-py pipeline to one `redis-server`,
`haven.state_redis.StatePipeline` to that one node, redis-py's cluster pipeline to a
three-node Redis Cluster on loopback, and `StatePipeline` to that cluster (one plain
pipeline a node). Each way runs 50 batches a round, the ways in turn, `--rounds` times;
the figure is the best round, in CPU time of this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import redis
from redis.cluster import RedisCluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haven.state_redis import StatePipeline, StateRedis  # noqa: E402

from tests.integration.harness import OwnRedis, redis_cluster  # noqa: E402

KEYS = [f"bench:counter:5:bench:author-{i}" for i in range(100)]
BATCHES = 50


def bare(client: StateRedis) -> None:
    pipe = client.pipeline(transaction=False)
    for key in KEYS:
        pipe.zadd(key, {"community.hostility\x1fpost": 1.0}, nx=True)
        pipe.zremrangebyscore(key, "-inf", 0)
        pipe.expire(key, 600)
    pipe.execute()


def state(client: StateRedis) -> None:
    pipe = StatePipeline(client)
    for key in KEYS:
        pipe.add("zadd", key, {"community.hostility\x1fpost": 1.0}, nx=True)
        pipe.add("zremrangebyscore", key, "-inf", 0)
        pipe.add("expire", key, 600)
    pipe.execute()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, redis_cluster(Path(folder)) as cluster_url:
        own = OwnRedis(Path(folder))
        own.start()
        one, spread = redis.Redis.from_url(own.url), RedisCluster.from_url(cluster_url)
        ways: dict[str, Callable[[], None]] = {
            "one node, bare pipeline": lambda: bare(one),
            "one node, StatePipeline": lambda: state(one),
            "cluster, redis-py's cluster pipeline": lambda: bare(spread),
            "cluster, StatePipeline": lambda: state(spread),
        }
        best = dict.fromkeys(ways, float("inf"))
        try:
            for _ in range(args.rounds):
                for name, send in ways.items():
                    started = time.process_time()
                    for _ in range(BATCHES):
                        send()
                    best[name] = min(best[name], time.process_time() - started)
        finally:
            one.close()
            spread.close()
            own.kill()
    commands = BATCHES * 3 * len(KEYS)
    print(json.dumps({
        "command": " ".join(["bench/state_commands.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_us_a_command": {name: round(seconds / commands * 1e6, 2) for name, seconds in best.items()},
    }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
