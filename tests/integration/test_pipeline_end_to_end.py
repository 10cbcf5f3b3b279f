"""Posts through the real API, Redis, a `haven worker` process and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from haven.config import Settings
from haven.queues import DEFAULT_QUEUE
from haven.store.records import NewDelivery
from haven.store.sql import SqlStore
from haven.tasks import DELIVER_WEBHOOK, create_celery_app

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import WebhookReceiver, wait_until

pytestmark = pytest.mark.integration

CRISIS = "I am going to end my life tonight"
HOSTILE = "shut up you idiot"


def a_post(community: str, body: str = "a good day today", **fields: Any) -> dict[str, Any]:
    return {
        "platform": "test",
        "community": community,
        "external_id": uuid.uuid4().hex,
        "author": {"id": f"author-{uuid.uuid4().hex[:8]}"},
        "body": body,
        **fields,
    }


def decided(api: httpx.Client, decision_id: str) -> dict[str, Any]:
    def fetch() -> dict[str, Any] | None:
        found = api.get(f"/v1/decisions/{decision_id}")
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body if body["status"] == "decided" else None

    result: dict[str, Any] = wait_until(fetch)
    return result


def subscribe(api: httpx.Client, receiver: WebhookReceiver, *event_types: str) -> str:
    path = receiver.new_path()
    made = api.post("/v1/webhooks", json={"url": receiver.base_url + path, "event_types": list(event_types)})
    assert made.status_code == 201, made.text
    assert made.json()["secret"].startswith("whsec_")
    receiver.verify_with(path, made.json()["secret"])
    return path


def test_post_is_accepted_then_decided_with_the_policy_version(api: httpx.Client, community: str) -> None:
    accepted = api.post("/v1/posts", json=a_post(community, HOSTILE))
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "queued"
    assert body["url"] == f"/v1/decisions/{body['id']}"

    decision = decided(api, body["id"])["decision"]
    assert decision["verdict"] == "hold"
    assert decision["policy_version"]
    assert [m["category"] for m in decision["matches"]] == ["community.hostility"]


def test_repeat_post_returns_the_same_decision_id(api: httpx.Client, community: str) -> None:
    post = a_post(community)
    first = api.post("/v1/posts", json=post).json()
    # Once decided, a repeat is a duplicate. (Before that it may be queued again, when the
    # API finds its task gone, e.g. taken by a worker that is still judging it.)
    decided(api, first["id"])
    again = api.post("/v1/posts", json=post).json()
    assert again["id"] == first["id"]
    assert again["status"] == "duplicate"
    revised = api.post("/v1/posts", json={**post, "revision": "2"}).json()
    assert revised["id"] != first["id"]


def test_batch_of_posts_is_accepted_in_order_and_each_decided(api: httpx.Client, community: str) -> None:
    posts = [a_post(community, HOSTILE if i % 2 else "hello") for i in range(10)]
    accepted = api.post("/v1/posts/batch", json={"posts": posts})
    assert accepted.status_code == 202
    items = accepted.json()["items"]
    assert len(items) == 10
    verdicts = [decided(api, item["id"])["decision"]["verdict"] for item in items]
    assert verdicts == ["allow", "hold"] * 5


def test_a_batch_over_one_hundred_posts_is_refused(api: httpx.Client, community: str) -> None:
    refused = api.post("/v1/posts/batch", json={"posts": [a_post(community)] * 101})
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"


def test_crisis_post_goes_to_the_crisis_queue_and_its_escalation_is_delivered_signed(
    api: httpx.Client, community: str, receiver: WebhookReceiver, worker: WorkerHandle
) -> None:
    path = subscribe(api, receiver, "decision.created", "escalation.created")
    accepted = api.post("/v1/posts", json=a_post(community, CRISIS)).json()
    assert accepted["queue"] == "crisis"

    deliveries = wait_until(lambda: len(receiver.at(path)) >= 2 and receiver.at(path))
    assert all(d.verified for d in deliveries)
    types = sorted(d.payload["type"] for d in deliveries)
    assert types == ["decision.created", "escalation.created"]
    for delivery in deliveries:
        assert delivery.payload["data"]["id"] == accepted["id"]
        assert delivery.payload["data"]["verdict"] == "escalate"
        assert delivery.headers["webhook-id"].startswith("msg_")
    # The escalation went out from the task that judged the post, without a second trip
    # through the broker; the ordinary event by the delivery task.
    # The worker logs an attempt once the receiver has answered: wait for both lines.
    ids = {d.headers["webhook-id"] for d in deliveries}

    def sent_by() -> dict[str, str] | None:
        found = {
            e["event_type"]: e["task"]
            for e in worker.process.log_entries()
            if e.get("event") == "webhook.attempt" and e.get("delivery_id") in ids
        }
        return found if len(found) == 2 else None

    assert wait_until(sent_by) == {"escalation.created": "haven.evaluate", "decision.created": "haven.deliver_webhook"}


def test_allowed_post_raises_no_webhook(api: httpx.Client, community: str, receiver: WebhookReceiver) -> None:
    path = subscribe(api, receiver, "decision.created")
    allowed = api.post("/v1/posts", json=a_post(community, "hello")).json()
    held = api.post("/v1/posts", json=a_post(community, HOSTILE)).json()
    decided(api, allowed["id"])
    wait_until(lambda: receiver.at(path))
    decided(api, held["id"])
    assert [d.payload["data"]["id"] for d in receiver.at(path)] == [held["id"]]


def test_failed_delivery_is_retried_and_every_attempt_recorded(
    api: httpx.Client, community: str, receiver: WebhookReceiver, store: Any
) -> None:
    path = subscribe(api, receiver, "decision.created")
    receiver.fail_next(path, 2)
    api.post("/v1/posts", json=a_post(community, HOSTILE))
    attempts = wait_until(lambda: len(receiver.at(path)) >= 3 and receiver.at(path))
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    assert all(a.verified for a in attempts)
    recorded = wait_until(
        lambda: (rows := store.delivery_attempts(attempts[0].headers["webhook-id"])) and len(rows) == 3 and rows
    )
    assert [r.outcome for r in recorded] == ["retry", "retry", "delivered"]
    assert [r.status_code for r in recorded] == [500, 500, 204]
    subscription_id = api.get("/v1/webhooks").json()[0]["id"]
    report = api.get(f"/v1/webhooks/{subscription_id}/deliveries").json()
    assert report[0]["status"] == "delivered"
    assert [a["status_code"] for a in report[0]["attempts"]] == [500, 500, 204]


def test_review_is_recorded_and_emitted_as_an_event(
    api: httpx.Client, community: str, receiver: WebhookReceiver
) -> None:
    path = subscribe(api, receiver, "review.recorded")
    held = api.post("/v1/posts", json=a_post(community, HOSTILE)).json()
    decided(api, held["id"])
    review = api.post(
        f"/v1/decisions/{held['id']}/review",
        json={"outcome": "overturned", "moderator": "mod-7", "note": "banter between friends"},
    )
    assert review.status_code == 201
    assert decided(api, held["id"])["reviews"][0]["outcome"] == "overturned"
    event = wait_until(lambda: receiver.at(path))[0]
    assert event.verified
    assert event.payload["type"] == "review.recorded"
    assert event.payload["data"]["decision_id"] == held["id"]
    assert event.payload["data"]["links"]["console"].endswith(f"/console/#decision/{held['id']}")
    # Policy authors see which rules misfire: overturned reviews counted by rule.
    rules = [(m["policy"], m["rule"]) for m in decided(api, held["id"])["decision"]["matches"]]
    assert rules
    text = httpx.get(str(api.base_url).rstrip("/") + "/metrics").text
    for policy, rule in rules:
        assert f'haven_reviews_total{{outcome="overturned",policy="{policy}",rule="{rule}"}}' in text


def test_decisions_list_filters_by_verdict_and_category_and_pages_by_cursor(api: httpx.Client, community: str) -> None:
    ids = [
        api.post("/v1/posts", json=a_post(community, body)).json()["id"]
        for body in [HOSTILE, HOSTILE, HOSTILE, "hello", "a miracle cure"]
    ]
    for decision_id in ids:
        decided(api, decision_id)

    held = api.get("/v1/decisions", params={"verdict": "hold", "limit": 2}).json()
    assert len(held["items"]) == 2
    rest = api.get("/v1/decisions", params={"verdict": "hold", "limit": 2, "cursor": held["next_cursor"]}).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert {d["id"] for d in held["items"] + rest["items"]} == set(ids[:3])

    misinformation = api.get("/v1/decisions", params={"category": "misinformation"}).json()
    assert [d["id"] for d in misinformation["items"]] == [ids[4]]
    everything = api.get("/v1/decisions", params={"since": "2000-01-01T00:00:00Z"}).json()
    assert len(everything["items"]) == 5


def test_decisions_of_another_community_are_not_visible(
    api: httpx.Client, community: str, store: Any, api_server: str
) -> None:
    mine = api.post("/v1/posts", json=a_post(community, HOSTILE)).json()
    decided(api, mine["id"])
    other_secret, _ = store.create_api_key("someone-else", ["admin"])
    with httpx.Client(base_url=api_server, headers={"authorization": f"Bearer {other_secret}"}) as other:
        assert other.get(f"/v1/decisions/{mine['id']}").status_code == 404
        assert other.get("/v1/decisions").json()["items"] == []
        refused = other.post("/v1/posts", json=a_post(community))
        assert refused.status_code == 403


def test_key_without_the_scope_is_forbidden(api_server: str, store: Any, community: str) -> None:
    secret, _ = store.create_api_key(community, ["read"])
    with httpx.Client(base_url=api_server, headers={"authorization": f"Bearer {secret}"}) as read:
        refused = read.post("/v1/posts", json=a_post(community))
        assert refused.status_code == 403
        assert refused.json()["required_scope"] == "ingest"
        assert read.get("/v1/decisions").status_code == 200


def test_webhook_subscriptions_can_be_listed_and_deleted(api: httpx.Client, receiver: WebhookReceiver) -> None:
    subscribe(api, receiver, "decision.created")
    listed = api.get("/v1/webhooks").json()
    assert len(listed) == 1
    assert "secret" not in listed[0]
    assert api.get(f"/v1/webhooks/{listed[0]['id']}").status_code == 200
    assert api.delete(f"/v1/webhooks/{listed[0]['id']}").status_code == 204
    assert api.get("/v1/webhooks").json() == []
    assert api.delete(f"/v1/webhooks/{listed[0]['id']}").status_code == 404


def test_readyz_reports_redis_and_database_reachable(api_server: str) -> None:
    ready = httpx.get(api_server + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["mode"] == "full"


def test_metrics_count_received_posts_and_queue_depth(api_server: str, api: httpx.Client, community: str) -> None:
    api.post("/v1/posts", json=a_post(community))
    text = httpx.get(api_server + "/metrics").text
    assert "haven_posts_received_total" in text
    assert 'haven_queue_depth{queue="crisis"}' in text


def test_an_authors_repeated_hostility_is_counted_across_posts_in_redis(api: httpx.Client, community: str) -> None:
    author = {"id": "repeat-offender"}
    verdicts = []
    for _ in range(3):
        accepted = api.post("/v1/posts", json=a_post(community, HOSTILE, author=author)).json()
        verdicts.append(decided(api, accepted["id"])["decision"]["verdict"])
    assert verdicts == ["hold", "hold", "remove"]
    someone_else = api.post("/v1/posts", json=a_post(community, HOSTILE)).json()
    assert decided(api, someone_else["id"])["decision"]["verdict"] == "hold"


def test_deliveries_handed_on_together_each_arrive_and_a_failing_receiver_holds_up_none(
    worker: WorkerHandle, service_env: dict[str, str], store: SqlStore, receiver: WebhookReceiver, community: str
) -> None:
    """A judging task hands its deliveries on several to a task. One whose receiver fails is
    tried again on its own; those after it, to the same receiver or another, go on at once,
    each delivered once and signed."""
    failing, steady = receiver.new_path(), receiver.new_path()
    subscribed = {path: store.create_subscription(community, receiver.base_url + path, ["decision.created"])
                  for path in (failing, steady)}  # fmt: skip
    for path, subscription in subscribed.items():
        receiver.verify_with(path, subscription.secret)
    receiver.fail_next(failing, 1)
    order = [failing, steady, steady, failing, steady]
    made = [
        NewDelivery(id=str(uuid.uuid4()), subscription_id=subscribed[path].id, community=community,
                    event_type="decision.created", payload=json.dumps({"n": n}), ingested_at=None)
        for n, path in enumerate(order)
    ]  # fmt: skip
    ids = store.add_deliveries(made)
    create_celery_app(Settings.from_env(service_env)).send_task(DELIVER_WEBHOOK, args=[ids], queue=DEFAULT_QUEUE)

    def delivered() -> bool:
        found = [store.get_delivery(i) for i in ids]
        return all(d is not None and d.status == "delivered" for d in found)

    wait_until(delivered, timeout=60)
    arrived = {path: sorted(r.payload["n"] for r in receiver.at(path) if r.verified) for path in (failing, steady)}
    assert arrived[steady] == [1, 2, 4]
    # One request to the failing receiver failed, then was sent again: the first one sent to it
    # (n=0), or n=3 where n=0's first try never reached it (a connection dropped on a loaded
    # machine, then tried again like any failure).
    assert arrived[failing] in ([0, 0, 3], [0, 3, 3])
    assert all(r.verified for path in (failing, steady) for r in receiver.at(path))
