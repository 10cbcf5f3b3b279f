"""POST /v1/plugins/discourse/webhook, served by Litestar in-process, judging with the real engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from haven.plugins.testing import RecordingHost
from haven_discourse import DiscoursePlugin
from haven_discourse.signature import sign
from litestar import Litestar, Router
from litestar.testing import TestClient

from tests.plugins.discourse.fake_discourse import FakeDiscourse
from tests.plugins.discourse.payloads import SECRET, delivery, post_payload, topic_payload

PATH = "/v1/plugins/discourse/webhook"
CRISIS = "I've made up my mind. I'm going to end my life tonight. Goodbye everyone."


@pytest.fixture
def client(plugin: DiscoursePlugin) -> Iterator[TestClient[Litestar]]:
    app = Litestar(route_handlers=[Router(path="/v1/plugins/discourse", route_handlers=list(plugin.routes()))])
    with TestClient(app) as test_client:
        yield test_client


def send(client: TestClient[Litestar], fake: FakeDiscourse, payload: dict[str, Any], event: str, **kw: Any) -> Any:
    body, headers = delivery(payload, event, instance=fake.base_url, **kw)
    return client.post(PATH, content=body, headers=headers)


def test_ping_signed_with_the_published_vector_is_answered(client: TestClient[Litestar], host: RecordingHost) -> None:
    response = client.post(
        PATH,
        content=b'{"ping":"OK"}',
        headers={
            "Content-Type": "application/json",
            "X-Discourse-Event": "ping",
            "X-Discourse-Event-Type": "ping",
            "X-Discourse-Event-Signature": "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6",
        },
    )
    assert response.status_code == 200
    assert not host.posts


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "", None], ids=["wrong", "empty", "missing"])
def test_bad_signature_gets_401_and_no_work(
    signature: str | None, client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    body, headers = delivery(post_payload(2001, CRISIS), "post_created", instance=fake.base_url)
    if signature is None:
        del headers["X-Discourse-Event-Signature"]
    else:
        headers["X-Discourse-Event-Signature"] = signature
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert not host.posts
    assert host.kv.get("discourse:post:2001") is None
    assert not fake.calls


def test_body_signed_with_another_secret_gets_401(
    client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    response = send(client, fake, post_payload(2002, CRISIS), "post_created", secret="not the secret")
    assert response.status_code == 401
    assert not host.posts


def test_crisis_post_end_to_end_in_process(
    client: TestClient[Litestar], plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    response = send(client, fake, post_payload(2003, CRISIS), "post_created")
    assert response.status_code == 202
    decision = host.decisions[response.json()["decision_id"]]
    assert decision.verdict == "escalate"
    for action in decision.actions:
        plugin.execute(decision, action)
    recipients = sorted(m["target_recipients"] for m in fake.private_messages())
    assert recipients == ["moderators", "tired_of_pain"]


def test_a_retried_delivery_is_judged_once(
    client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    payload = post_payload(2004, CRISIS)
    first = send(client, fake, payload, "post_created", event_id=31)
    retry = send(client, fake, payload, "post_created", event_id=32)  # Discourse's retry: a new event id
    assert first.status_code == 202
    assert retry.status_code == 200
    assert retry.json()["status"] == "duplicate"
    assert retry.json()["decision_id"] == first.json()["decision_id"]
    assert len(host.posts) == 1


def test_an_edit_is_judged_again(client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse) -> None:
    send(client, fake, post_payload(2005, "A hard week."), "post_created")
    edited = send(client, fake, post_payload(2005, f"A hard week. {CRISIS}", version=2), "post_edited")
    assert edited.status_code == 202
    assert [p.revision.split(".")[0] for p in host.posts] == ["1", "2"]
    assert host.decisions[edited.json()["decision_id"]].verdict == "escalate"


def test_topic_created_judges_the_title(client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse) -> None:
    response = send(client, fake, topic_payload(3001, "Goodbye everyone, this is my last post"), "topic_created")
    assert response.status_code == 202
    (post,) = host.posts
    assert post.external_id == "topic-3001"
    assert host.decisions[response.json()["decision_id"]].verdict == "escalate"


def test_form_encoded_deliveries_are_read(
    client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    body = urlencode({"payload": json.dumps(post_payload(2006, "Hello all"))}).encode()
    response = client.post(
        PATH,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Discourse-Event": "post_created",
            "X-Discourse-Instance": fake.base_url,
            "X-Discourse-Event-Signature": sign(SECRET, body),
        },
    )
    assert response.status_code == 202
    assert host.posts[0].external_id == "2006"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (post_payload(2101, CRISIS, category_id=99), "category is not mapped"),
        (post_payload(2102, CRISIS, username="system"), "Haven's API user"),
        (post_payload(2103, CRISIS, archetype="private_message"), "private message"),
        (post_payload(2104, "closed the topic", post_type=3), "not a regular post"),
    ],
    ids=["unmapped-category", "own-message", "private-message", "small-action"],
)
def test_posts_that_are_not_judged(
    payload: dict[str, Any], reason: str, client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    response = send(client, fake, payload, "post_created")
    assert response.status_code == 200
    assert reason in response.json()["reason"]
    assert not host.posts


def test_other_events_are_acknowledged_and_ignored(
    client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    response = send(client, fake, {"user": {"id": 1, "username": "x"}}, "user_created")
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not host.posts


def test_a_deleted_post_cancels_pending_actions(
    client: TestClient[Litestar], host: RecordingHost, fake: FakeDiscourse
) -> None:
    payload = post_payload(2201, CRISIS, deleted_at="2024-05-02T20:00:00.000Z")
    response = send(client, fake, payload, "post_edited")
    assert response.status_code == 200
    assert host.cancelled == [("chronic-pain", "discourse", "2201")]
    assert not host.posts


@pytest.mark.parametrize(
    ("event", "payload", "external_id"),
    [
        ("post_destroyed", post_payload(2202, CRISIS, deleted_at="2024-05-02T20:00:00.000Z"), "2202"),
        ("topic_destroyed", topic_payload(2203, "goodbye everyone"), "topic-2203"),
    ],
)
def test_a_destroyed_post_or_topic_cancels_pending_actions(
    client: TestClient[Litestar],
    host: RecordingHost,
    fake: FakeDiscourse,
    event: str,
    payload: dict[str, Any],
    external_id: str,
) -> None:
    response = send(client, fake, payload, event)
    assert response.status_code == 200
    assert host.cancelled == [("chronic-pain", "discourse", external_id)]
    assert not host.posts


def test_an_event_from_another_instance_is_not_judged(client: TestClient[Litestar], host: RecordingHost) -> None:
    body, headers = delivery(post_payload(2301, CRISIS), "post_created", instance="https://elsewhere.example.org")
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not host.posts


@pytest.mark.parametrize("body", [b"not json", b"[" * 100_000 + b"]" * 100_000], ids=["not-json", "nested-too-deep"])
def test_malformed_body_with_a_good_signature_is_400(
    client: TestClient[Litestar], host: RecordingHost, body: bytes
) -> None:
    response = client.post(
        PATH,
        content=body,
        headers={"X-Discourse-Event": "post_created", "X-Discourse-Event-Signature": sign(SECRET, body)},
    )
    assert response.status_code == 400
    assert not host.posts
