"""Conversations judged through the real pipeline: the API, Redis, a `haven worker`, PostgreSQL,
with the default policy pack (policies/), whose conversation rules read the thread's state."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from haven.conversations_redis import RedisConversationStore, thread_turn
from haven.policy.conversations import MAX_TURNS_PER_THREAD, TURN_DECODER, TURN_ENCODER, Turn
from haven.state_redis import StateRedis
from haven.store.sql import SqlStore
from redis.cluster import RedisCluster

from tests.integration.harness import (
    REPO,
    WebhookReceiver,
    delete_keys,
    new_key_prefix,
    start_api,
    start_worker,
    wait_until,
)
from tests.integration.test_pipeline_end_to_end import decided, subscribe

pytestmark = pytest.mark.integration

ROOT_POST = "Flare day again, I can barely get out of bed. Anyone else?"
HOSTILE = [
    "Get a life, loser. Nobody asked.",
    "Stop faking it for attention, nobody cares about your sob story.",
    "Shut up, you're pathetic and everyone here knows it.",
]
CRISIS = "I can't do this anymore. I'm going to end my life tonight."


@pytest.fixture(scope="module")
def pack_env(service_env: dict[str, str], redis_url: str) -> Iterator[dict[str, str]]:
    """The session's environment with the default pack, and Redis keys (queues included) of its own."""
    prefix = new_key_prefix()
    yield {**service_env, "HAVEN_POLICY_DIR": str(REPO / "policies"), "HAVEN_REDIS_KEY_PREFIX": prefix}
    delete_keys(redis_url, prefix)


@pytest.fixture(scope="module")
def pack_api_server(pack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("conversations")
    worker = start_worker(pack_env, logs / "worker.log")
    try:
        api, base = start_api(pack_env, logs / "api.log")
        try:
            yield base
        finally:
            api.stop()
    finally:
        worker.stop()


@pytest.fixture
def pack_api(pack_api_server: str, store: SqlStore, community: str) -> Iterator[httpx.Client]:
    secret, _ = store.create_api_key(community, ["admin"])
    with httpx.Client(base_url=pack_api_server, headers={"authorization": f"Bearer {secret}"}, timeout=10) as client:
        yield client


class Thread:
    """Posts of one thread sent one at a time, each decided before the next is sent."""

    def __init__(self, api: httpx.Client, community: str) -> None:
        self.api = api
        self.community = community
        self.id = f"thread-{uuid.uuid4().hex[:8]}"

    def say(self, author: str, body: str, *, parent: str | None = None, thread: str | None = None) -> dict[str, Any]:
        external_id = uuid.uuid4().hex[:12]
        post = {
            "platform": "test", "community": self.community, "external_id": external_id,
            "author": {"id": author}, "body": body, "thread_id": thread or self.id, "parent_id": parent,
        }  # fmt: skip
        accepted = self.api.post("/v1/posts", json=post)
        assert accepted.status_code == 202, accepted.text
        decision: dict[str, Any] = decided(self.api, accepted.json()["id"])["decision"]
        decision["external_id"] = external_id
        return decision


def rules(decision: dict[str, Any]) -> list[str]:
    return [m["rule"] for m in decision["matches"]]


def test_three_members_hostile_to_one_member_raise_the_pile_on_alert_on_the_third_reply(
    pack_api: httpx.Client, community: str, receiver: WebhookReceiver
) -> None:
    path = subscribe(pack_api, receiver, "conversation.flagged")
    thread = Thread(pack_api, community)
    root = thread.say("sam", ROOT_POST)
    replies = [
        thread.say(author, HOSTILE[n], parent=root["external_id"]) for n, author in enumerate(("ann", "bob", "cat"))
    ]
    assert ["pile-on" in rules(d) for d in replies] == [False, False, True]
    third = replies[2]
    kinds = {a["kind"] for a in third["actions"]}
    assert {"flag_for_review", "notify_author"} <= kinds and "remove" not in kinds

    [flagged] = wait_until(lambda: receiver.at(path))
    assert flagged.verified
    event = flagged.payload
    assert event["type"] == "conversation.flagged"
    data = event["data"]
    assert data["dynamic"] == "community.pile-on"
    assert data["thread"] == {"platform": "test", "community": community, "thread_id": thread.id}
    assert data["members"] == ["sam"]
    assert data["decisions"] == [d["id"] for d in replies]
    assert {a["kind"] for a in data["suggested_actions"]} == {"flag_for_review", "notify_author"}


def test_the_same_three_replies_to_three_different_members_raise_nothing(
    pack_api: httpx.Client, community: str, receiver: WebhookReceiver
) -> None:
    subscribe(pack_api, receiver, "conversation.flagged", "decision.created")
    thread = Thread(pack_api, community)
    roots = [thread.say(member, ROOT_POST) for member in ("sam", "tia", "uma")]
    replies = [
        thread.say(author, HOSTILE[n], parent=roots[n]["external_id"]) for n, author in enumerate(("ann", "bob", "cat"))
    ]
    # The word-list rule holds each reply (the hostility model may flag it too); no
    # conversation rule fires.
    assert all("hostility" in rules(d) and not any(m["conversation"] for m in d["matches"]) for d in replies)
    # The deliveries a decision raises are recorded with it: each hold raised decision.created,
    # none raised conversation.flagged.
    [subscription] = pack_api.get("/v1/webhooks").json()
    recorded = pack_api.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()
    assert sorted(d["event_type"] for d in recorded) == ["decision.created"] * 3


def test_a_hostile_reply_to_an_escalated_post_escalates_and_a_supportive_one_does_not(
    pack_api: httpx.Client, community: str
) -> None:
    thread = Thread(pack_api, community)
    crisis = thread.say("mia", CRISIS)
    assert crisis["verdict"] == "escalate"
    support = thread.say(
        "ann", "Mia, please stay with us. Can you call or text 988 right now?", parent=crisis["external_id"]
    )
    assert support["verdict"] != "escalate"
    hostile = thread.say("bob", HOSTILE[1], parent=crisis["external_id"])
    assert hostile["verdict"] == "escalate"
    [match] = [m for m in hostile["matches"] if m["rule"] == "hostile-reply-to-crisis"]
    assert match["conversation"][0]["member"] == "mia"
    assert match["conversation"][0]["decisions"] == [crisis["id"]]


def test_the_conversation_state_in_redis_holds_no_post_text(
    pack_api: httpx.Client, community: str, pack_env: dict[str, str], redis_url: str
) -> None:
    thread = Thread(pack_api, community)
    root = thread.say("sam", ROOT_POST)
    for n, author in enumerate(("ann", "bob", "cat")):
        thread.say(author, HOSTILE[n], parent=root["external_id"])
    client = redis.Redis.from_url(redis_url)
    try:
        prefix = pack_env["HAVEN_REDIS_KEY_PREFIX"]
        conversation_keys = list(client.scan_iter(match=f"{prefix}haven:conversation:*{community}*"))
        assert conversation_keys, "no conversation state was written"
        turns = [
            thread_turn(raw, "test", "thread", post.decode())
            for key in conversation_keys
            if client.type(key) == b"hash"
            for post, raw in client.hgetall(key).items()
        ]
        turns += [
            TURN_DECODER.decode(raw)
            for key in conversation_keys
            if client.type(key) == b"zset"
            for raw in client.zrange(key, 0, -1)
        ]
        assert {t.author for t in turns} == {"sam", "ann", "bob", "cat"}
        assert all(client.ttl(key) > 0 for key in conversation_keys)
        # Every value stored under this test's prefix, queues included, once the posts are decided.
        stored = b""
        for key in client.scan_iter(match=f"{prefix}*"):
            kind = client.type(key)
            if kind == b"zset":
                stored += b"".join(client.zrange(key, 0, -1))
            elif kind == b"string":
                stored += client.get(key) or b""
            elif kind == b"hash":
                stored += b"".join(client.hvals(key))
            elif kind == b"list":
                stored += b"".join(client.lrange(key, 0, -1))
            elif kind == b"set":
                stored += b"".join(client.smembers(key))
    finally:
        client.close()
    for text in (ROOT_POST, *HOSTILE):
        for word in text.replace(",", " ").replace(".", " ").split():
            if len(word) > 5:
                assert word.encode() not in stored, word


@pytest.mark.parametrize("where", ["one node", "cluster"])
def test_the_redis_store_serves_a_batch_its_own_writes_and_bounds_every_thread(
    where: str, request: pytest.FixtureRequest, redis_url: str
) -> None:
    """On one Redis the writes are a script; on a cluster, plain commands by node: the same
    turns, trims and expiries either way."""
    prefix = new_key_prefix()
    url = request.getfixturevalue("redis_cluster_url") if where == "cluster" else redis_url
    client: StateRedis = RedisCluster.from_url(url) if where == "cluster" else redis.Redis.from_url(url)
    store = RedisConversationStore(client, prefix=prefix + "conv", keep_seconds=3600)
    now = time.time()

    def turn(post: str, author: str, at: float, parent: str | None = None, *categories: str) -> Turn:
        return Turn(post=post, revision="1", platform="p", thread="t", author=author, at=at, verdict="allow",
                    parent=parent, parent_categories=categories)  # fmt: skip

    try:
        with store.batch([("c", "p", "t", "t")]):
            store.record("c", turn("p1", "sam", now))
            store.record("c", turn("r1", "ann", now + 1, "p1", "crisis.suicide"))
            store.record("c", turn("r2", "ann", now + 2, "p1"))
            # Later posts of the batch see what earlier ones recorded, before anything is written.
            assert [t.post for t in store.thread("c", "p", "t")] == ["p1", "r1", "r2"]
            # The author's index holds the reply to a post that matched a rule, not the other.
            assert [t.post for t in store.replies_by("c", "p", "ann")] == ["r1"]
            assert client.exists(f"{prefix}conv:turns:1:c:1:p:t") == 0
        assert [t.post for t in store.thread("c", "p", "t")] == ["p1", "r1", "r2"]
        assert [t.post for t in store.replies_by("c", "p", "ann")] == ["r1"]
        # A later batch reads its replies' parents in one go, and sees its own records too.
        with store.batch([("c", "p", "t", "p1"), ("c", "p", "t", "gone")]):
            assert store.turn("c", "p", "t", "p1") == turn("p1", "sam", now)
            assert store.turn("c", "p", "t", "gone") is None
            store.record("c", turn("r3", "bob", now + 3, "p1"))
            assert store.turn("c", "p", "t", "r3") == turn("r3", "bob", now + 3, "p1")
        key = f"{prefix}conv:turns:1:c:1:p:t"
        assert client.hexists(key, "r3")
        assert 3500 < client.ttl(key) <= 3600
        # Judged again later (a retried task): still one turn per post.
        store.record("c", turn("r1", "ann", now + 5, "p1", "crisis.suicide"))
        assert [(t.post, t.at) for t in store.thread("c", "p", "t")] == [
            ("p1", now),
            ("r2", now + 2),
            ("r3", now + 3),
            ("r1", now + 5),
        ]
        for n in range(MAX_TURNS_PER_THREAD + 10):
            store.record("c", turn(f"x{n}", "bob", now + 10 + n))
        assert client.hlen(key) == MAX_TURNS_PER_THREAD
        # the oldest went first
        assert not client.hexists(key, "p1")
        assert client.hexists(key, f"x{MAX_TURNS_PER_THREAD + 9}")
        assert 3500 < client.ttl(key) <= 3600
        # A window later, everything older is trimmed by the next write.
        store.record("c", turn("late", "bob", now + 10_000))
        assert client.hlen(key) == 1
        assert [t.post for t in store.thread("c", "p", "t")] == ["late"]
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()


@pytest.mark.parametrize("where", ["one node", "cluster"])
def test_turns_kept_in_the_layout_before_are_read_until_they_have_expired(
    where: str, request: pytest.FixtureRequest, redis_url: str
) -> None:
    """Until 2026-12 a thread's turns were a sorted set per thread and a string per post. A
    worker of the new layout still reads those for one window after the layout first wrote,
    so an upgrade loses no thread's history; after that window it reads only its own."""
    prefix = new_key_prefix()
    url = request.getfixturevalue("redis_cluster_url") if where == "cluster" else redis_url
    client: StateRedis = RedisCluster.from_url(url) if where == "cluster" else redis.Redis.from_url(url)
    now = time.time()
    old = Turn(post="p1", revision="1", platform="p", thread="t", author="sam", at=now - 60, verdict="flag",
               categories=("toxicity.hostility",))  # fmt: skip
    encoded = TURN_ENCODER.encode(old)
    try:
        client.set(f"{prefix}conv:post:1:c:1:p:p1", encoded, ex=3600)
        client.zadd(f"{prefix}conv:thread:1:c:1:p:t", {encoded: old.at})
        store = RedisConversationStore(client, prefix=prefix + "conv", keep_seconds=3600)
        reply = Turn(post="r1", revision="1", platform="p", thread="t", author="ann", at=now, verdict="allow",
                     parent="p1")  # fmt: skip
        with store.batch([("c", "p", "t", "p1")]):
            assert store.turn("c", "p", "t", "p1") == old
            store.record("c", reply.replying_to(store.turn("c", "p", "t", "p1")))
        assert store.turn("c", "p", "t", "p1") == old
        assert [(t.post, t.author, t.parent_author) for t in store.thread("c", "p", "t")] == [
            ("p1", "sam", None),
            ("r1", "ann", "sam"),
        ]
        # The old keys are never written again.
        assert client.zcard(f"{prefix}conv:thread:1:c:1:p:t") == 1

        # A store started a window after the layout began reads only its own keys.
        client.set(f"{prefix}conv:layout-since", repr(now - 3601))
        later = RedisConversationStore(client, prefix=prefix + "conv", keep_seconds=3600)
        assert later.turn("c", "p", "t", "p1") is None
        assert [t.post for t in later.thread("c", "p", "t")] == ["r1"]
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()
