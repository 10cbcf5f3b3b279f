"""The state's pipelines on a Redis Cluster: one plain pipeline a node, and when the cluster has
moved a slot since the client last looked, the batch again through the cluster client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from haven.state_redis import StatePipeline
from redis.cluster import RedisCluster
from redis.crc import key_slot

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(redis_cluster_url: str) -> Iterator[RedisCluster]:
    client = RedisCluster.from_url(redis_cluster_url)
    yield client
    client.close()


def keys_on_every_node(client: RedisCluster, prefix: str) -> list[str]:
    """Keys with the prefix, at least one owned by each primary."""
    owners: dict[str, str] = {}
    n = 0
    while len(owners) < len(client.get_primaries()):
        key = f"{prefix}{n}"
        owners.setdefault(client.nodes_manager.get_node_from_slot(key_slot(key.encode())).name, key)
        n += 1
    return [*owners.values(), *(f"{prefix}extra{i}" for i in range(20))]


def test_a_state_pipeline_answers_in_order_from_every_node(cluster: RedisCluster) -> None:
    keys = keys_on_every_node(cluster, f"test:{uuid.uuid4().hex}:")
    try:
        writes = StatePipeline(cluster)
        for i, key in enumerate(keys):
            writes.add("zadd", key, {f"m{i}": float(i)}, nx=True)
            writes.add("expire", key, 60)
        assert writes.execute() == [1, True] * len(keys)
        reads = StatePipeline(cluster)
        for key in keys:
            reads.add("zrangebyscore", key, "-inf", "+inf", withscores=True)
        assert reads.execute() == [[(f"m{i}".encode(), float(i))] for i in range(len(keys))]
    finally:
        cluster.delete(*keys)


def test_a_slot_moved_since_the_client_looked_sends_the_batch_again_by_the_cluster_client(
    cluster: RedisCluster,
) -> None:
    nodes = {node.name: redis.Redis(host=node.host, port=node.port) for node in cluster.get_primaries()}
    ids = {name: node.execute_command("CLUSTER MYID") for name, node in nodes.items()}

    def give_slot(slot: int, to: str, holder: str) -> None:
        # Only the node holding keys of the slot can refuse (other tests share this cluster),
        # so it is asked first: a refusal leaves every node as it was.
        for name in [holder, *(n for n in nodes if n != holder)]:
            nodes[name].execute_command("CLUSTER SETSLOT", slot, "NODE", ids[to])

    for _ in range(20):  # a slot with none of the other tests' keys in it: nothing to migrate
        key = f"test:{uuid.uuid4().hex}:moved"
        slot = key_slot(key.encode())
        owner = cluster.nodes_manager.get_node_from_slot(slot).name
        target = next(name for name in nodes if name != owner)
        try:
            give_slot(slot, target, holder=owner)
            break
        except redis.ResponseError:
            continue
    else:
        pytest.fail("every slot tried held another test's keys")
    try:
        # The client still sends the slot's commands to the old owner, which answers MOVED.
        assert cluster.nodes_manager.get_node_from_slot(slot).name == owner
        writes = StatePipeline(cluster)
        writes.add("set", key, b"turn", ex=60)
        writes.add("get", key)
        assert writes.execute() == [True, b"turn"]
        assert nodes[target].get(key) == b"turn"
        assert cluster.nodes_manager.get_node_from_slot(slot).name == target  # it looked again
    finally:
        nodes[target].delete(key)
        give_slot(slot, owner, holder=target)
        cluster.nodes_manager.initialize()
        for node in nodes.values():
            node.close()


def test_on_one_redis_a_state_pipeline_is_one_pipeline(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        pipe = StatePipeline(client)
        pipe.add("set", key, b"v", ex=60)
        pipe.add("get", key)
        assert pipe.execute() == [True, b"v"]
        assert StatePipeline(client).execute() == []
    finally:
        client.delete(key)
        client.close()
