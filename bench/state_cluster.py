"""What the state costs a worker on one Redis and on a Redis Cluster (`HAVEN_STATE_REDIS_CLUSTER`).

    .venv/bin/python bench/state_cluster.py [--count 3000] [--repeats 5] > bench/results/state-cluster.json

The default pack judges posts arranged in threads (`bench/conversations.py`'s `threaded`,
the corpus's texts), in batches of 100 as a worker does, with the Redis counter and
conversation stores, against a `redis-server` of the benchmark's own and against a
three-node Redis Cluster on loopback (`tests/integration/harness.py`'s `redis_cluster`),
in turn, `--repeats` times, every Redis set up as docs/operations.md recommends
(`zset-max-listpack-value` and `hash-max-listpack-value` 512), and one node as shipped
(64) beside them. On a cluster the conversation writes are plain commands, a few a thread
or author, instead of one script call a batch; the parents' read is an HGET a parent,
pipelined, on both.
Per post: this process's CPU (the worker's, engine included: the difference between the
two is what the cluster costs the worker), the Redis servers' CPU summed over nodes, and
the commands the servers ran (INFO commandstats, summed; a script's own calls included).
Best of the repeats for the CPU figures.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from redis.cluster import RedisCluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conversations import BATCH, private_redis, threaded_posts  # noqa: E402
from haven.config import PrivacySettings  # noqa: E402
from haven.conversations_redis import RedisConversationStore  # noqa: E402
from haven.counters_redis import RedisCounterStore  # noqa: E402
from haven.domain import Post  # noqa: E402
from haven.policy import PolicySet, evaluate, load_policy_set  # noqa: E402
from haven.state_redis import COMPACT_MEMBER_BYTES, COMPACT_SETTINGS, StateRedis  # noqa: E402

from tests.integration.harness import redis_cluster  # noqa: E402


def server_totals(nodes: list[redis.Redis]) -> tuple[float, int]:
    """CPU seconds and commands run, summed over the servers."""
    cpu, calls = 0.0, 0
    for node in nodes:
        info = node.info("cpu")
        cpu += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        calls += sum(int(stats["calls"]) for stats in node.info("commandstats").values())
    return cpu, calls


def state_pass(
    policy_set: PolicySet, posts: list[Post], client: StateRedis, nodes: list[redis.Redis]
) -> dict[str, float]:
    prefix = f"haven-bench-{uuid.uuid4().hex[:8]}:"
    keep = PrivacySettings().counter_window_seconds
    counters = RedisCounterStore(client, prefix=prefix + "counter", keep_seconds=keep)
    conversations = RedisConversationStore(client, prefix=prefix + "conversation")
    server_cpu, calls = server_totals(nodes)
    cpu = time.process_time()
    for first in range(0, len(posts), BATCH):
        batch = posts[first : first + BATCH]
        with ExitStack() as stack:
            stack.enter_context(counters.batch((p.community, p.author.id) for p in batch))
            parents = [(p.community, p.platform, p.thread_key, p.parent_id) for p in batch if p.parent_id is not None]
            stack.enter_context(conversations.batch(parents))
            for post in batch:
                evaluate(policy_set, post, now=datetime.now(UTC), counters=counters, conversations=conversations)
    cpu = time.process_time() - cpu
    server_cpu_after, calls_after = server_totals(nodes)
    for node in nodes:
        node.flushdb()
    return {
        "worker_cpu_us": cpu / len(posts) * 1e6,
        "redis_cpu_us": (server_cpu_after - server_cpu) / len(posts) * 1e6,
        # less the two INFO commands a node that reading the totals adds
        "commands": (calls_after - calls - 2 * len(nodes)) / len(posts),
    }


@contextmanager
def one_node(listpack_value: int = COMPACT_MEMBER_BYTES) -> Iterator[tuple[StateRedis, list[redis.Redis]]]:
    server, client = private_redis(0)
    try:
        for setting in COMPACT_SETTINGS:
            client.config_set(setting, listpack_value)
        yield client, [client]
    finally:
        client.close()
        server.terminate()
        server.wait()


@contextmanager
def cluster() -> Iterator[tuple[StateRedis, list[redis.Redis]]]:
    with tempfile.TemporaryDirectory() as folder, redis_cluster(Path(folder)) as url:
        client = RedisCluster.from_url(url)
        nodes = [redis.Redis(host=n.host, port=n.port) for n in client.get_primaries()]
        for node in nodes:
            for setting in COMPACT_SETTINGS:
                node.config_set(setting, COMPACT_MEMBER_BYTES)
        try:
            yield client, nodes
        finally:
            for node in nodes:
                node.close()
            client.close()


def main() -> int:
    args, posts = threaded_posts(__doc__, 5)
    policy_set = load_policy_set(ROOT / "policies")
    runs: dict[str, list[dict[str, float]]] = {"one node": [], "one node, Redis as shipped": [], "cluster of 3": []}
    with one_node() as single, one_node(64) as shipped, cluster() as spread:
        opened = {"one node": single, "one node, Redis as shipped": shipped, "cluster of 3": spread}
        state_pass(policy_set, posts[:300], *single)  # warm up: imports, automata, caches
        for _ in range(args.repeats):  # interleaved: drifting load falls on both alike
            for name, found in runs.items():
                found.append(state_pass(policy_set, posts, *opened[name]))
                print(name, {k: round(v, 1) for k, v in found[-1].items()}, file=sys.stderr)
    result: dict[str, Any] = {
        "command": " ".join(["bench/state_cluster.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": len(posts),
        "replies": sum(p.parent_id is not None for p in posts),
    }
    for name, found in runs.items():
        result[name] = {
            "worker_cpu_us_a_post": round(min(r["worker_cpu_us"] for r in found), 1),
            "redis_cpu_us_a_post": round(min(r["redis_cpu_us"] for r in found), 1),
            "commands_a_post": round(found[-1]["commands"], 2),
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
