"""The client of the Redis that holds Haven's state (dedupe keys, counters, conversations,
plugins' keys): one node, or a Redis Cluster (`HAVEN_STATE_REDIS_CLUSTER`).

State commands name one key each, and batches go out as pipelines without transactions,
which a cluster client splits by node. The exceptions take the cluster's own way: the
multi-key MGET and DEL, which the cluster client splits by slot, and the conversation
writes, one script a batch on a single node and plain commands on a cluster (see
`conversations_redis`).
"""

from __future__ import annotations

from typing import Any

import redis
from redis.cluster import RedisCluster

from haven.config import QueueSettings

StateRedis = redis.Redis | RedisCluster


def state_client(settings: QueueSettings, **options: Any) -> StateRedis:
    url = settings.state_url
    assert url is not None, "full mode only"
    if settings.state_redis_cluster:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)
