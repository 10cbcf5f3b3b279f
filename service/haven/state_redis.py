"""The client of the Redis that holds Haven's state (dedupe keys, counters, conversations,
plugins' keys): one node, or a Redis Cluster (`HAVEN_STATE_REDIS_CLUSTER`).

State commands name one key each, and a batch's go out together (`StatePipeline`). The
exceptions take the cluster's own way: a DEL of many keys (the API giving back its dedupe
claims), which the cluster client splits by slot, and the conversation writes, one script a
batch on a single node and plain commands on a cluster (see `conversations_redis`).
"""

from __future__ import annotations

from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from haven.config import QueueSettings

StateRedis = redis.Redis | RedisCluster

# Redis keeps a sorted set or a hash as one compact listpack while each member (a hash's
# value) is at most zset-max-listpack-value (hash-max-listpack-value) bytes, 64 by default. A
# conversation turn is 100-250 bytes (ids, categories, verdicts), a thread's entry 40-100 and a
# counter member about 70, so by default every author's and counter's set is a skip list and
# most threads' hashes a hash table: 1,139 bytes a thread turn against 321 (then in sorted
# sets), 215 a counter entry against 108 (bench/capacity.py with and without
# --redis-defaults, docs/capacity.md).
COMPACT_MEMBER_BYTES = 512


def state_client(settings: QueueSettings, **options: Any) -> StateRedis:
    url = settings.state_url
    assert url is not None, "full mode only"
    if settings.state_redis_cluster:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


class StatePipeline:
    """Commands that each name one key, sent together: one pipeline to a single Redis, or on a
    cluster one plain pipeline to each node that owns some of the keys.

    redis-py's cluster pipeline works out every command's node in Python: 14.5 µs of CPU a
    command against 8.6 for these per-node pipelines and 4.6 for one node's
    (bench/state_commands.py). When the cluster has moved on (a slot migrated, a
    primary failed over), a node answers MOVED or is gone: then the whole batch is sent
    again through the cluster client, which follows the redirections. So every command sent
    here must be safe to run twice, its answer included: reads, and writes whose answer no
    one reads (the counters' and conversations'). The dedupe claims (SET NX, whose answer
    says whether a post is new) go through the cluster client's own pipeline.
    """

    def __init__(self, client: StateRedis) -> None:
        self._client = client
        self._commands: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []

    def add(self, command: str, key: str, *args: Any, **options: Any) -> None:
        """`command` is the redis-py method's name (`zadd`, `set`, ...); `key` its key."""
        self._commands.append((command, key, args, options))

    def execute(self) -> list[Any]:
        if not self._commands:
            return []
        client = self._client
        if isinstance(client, RedisCluster):
            try:
                return self._by_node(client)
            except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError):
                client.nodes_manager.initialize()
        pipe = client.pipeline(transaction=False)
        for command, key, args, options in self._commands:
            getattr(pipe, command)(key, *args, **options)
        return list(pipe.execute())

    def _by_node(self, client: RedisCluster) -> list[Any]:
        nodes = client.nodes_manager
        pipes: dict[str, tuple[redis.client.Pipeline, list[int]]] = {}
        for index, (command, key, args, options) in enumerate(self._commands):
            node = nodes.get_node_from_slot(key_slot(key.encode()))
            found = pipes.get(node.name)
            if found is None:
                found = pipes[node.name] = (node.redis_connection.pipeline(transaction=False), [])
            getattr(found[0], command)(key, *args, **options)
            found[1].append(index)
        results: list[Any] = [None] * len(self._commands)
        for pipe, indexes in pipes.values():
            for index, result in zip(indexes, pipe.execute(), strict=True):
                results[index] = result
        return results


# The settings that keep the state's sets and hashes compact.
COMPACT_SETTINGS = ("zset-max-listpack-value", "hash-max-listpack-value")


def listpack_limits_too_small(client: StateRedis) -> dict[str, int]:
    """Those of COMPACT_SETTINGS that the server has below COMPACT_MEMBER_BYTES, with their
    values; none when the server will not say (a managed Redis may refuse CONFIG)."""
    low: dict[str, int] = {}
    for setting in COMPACT_SETTINGS:
        try:
            found = client.config_get(setting)
        except redis.RedisError:
            return {}
        value = found.get(setting) if isinstance(found, dict) else None
        if value is not None and str(value).isdigit() and int(value) < COMPACT_MEMBER_BYTES:
            low[setting] = int(value)
    return low
