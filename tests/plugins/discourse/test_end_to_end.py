"""Through the real service: `haven serve` and `haven worker` processes, Redis, PostgreSQL,
webhooks signed as Discourse signs them, and the loopback fake Discourse recording every admin call."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from haven_discourse.config import instance_host
from haven_discourse.normalise import post_from_payload

from tests.plugins.discourse.conftest import REPO, plugin_env
from tests.plugins.discourse.fake_discourse import FakeDiscourse, fake_discourse
from tests.plugins.discourse.payloads import delivery, post_payload

WIRED = (
    importlib.util.find_spec("haven.plugins.host") is not None
    and importlib.util.find_spec("haven.plugins.dispatch") is not None
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not WIRED, reason="the service's plugin wiring (service/plugins/host.py) is not there yet"),
]

COMMUNITY = f"discourse-{uuid.uuid4().hex[:8]}"
CRISIS = "I've made up my mind. I'm going to end my life tonight. Goodbye everyone."
DOXXING = "FYI the user grief_dad is Tom from Cork, he works at the bank on Main St. Email him at tom.cork@gmail.com"
WEBHOOK = "/v1/plugins/discourse/webhook"


class Haven:
    def __init__(self, base: str, fake: FakeDiscourse, client: httpx.Client) -> None:
        self.base = base
        self.fake = fake
        self.client = client

    def deliver(self, payload: dict[str, Any], event: str = "post_created", **kw: Any) -> httpx.Response:
        body, headers = delivery(payload, event, instance=self.fake.base_url, **kw)
        return httpx.post(self.base + WEBHOOK, content=body, headers=headers, timeout=10)

    def decision(self, decision_id: str) -> dict[str, Any]:
        from tests.integration.harness import wait_until

        def decided() -> dict[str, Any] | None:
            found = self.client.get(f"/v1/decisions/{decision_id}").json()
            return found if found.get("status") == "decided" else None

        result: dict[str, Any] = wait_until(decided)
        return result


@pytest.fixture(scope="module")
def haven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Haven]:
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    from tests.integration.harness import (
        REDIS_HOST,
        delete_keys,
        full_mode_env,
        new_key_prefix,
        postgres_database,
        start_api,
        start_worker,
    )

    folder: Path = tmp_path_factory.mktemp("discourse-e2e")
    redis_url = f"{REDIS_HOST}/7"
    # Queues, dedupe keys and counters of this module's processes only: under xdist each worker
    # runs its own Haven for this module, and both use database 7.
    prefix = new_key_prefix()
    with fake_discourse() as fake, postgres_database(prefix="haven_discourse") as database:
        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        secret, _ = store.create_api_key(COMMUNITY, ["admin"])
        discourse = plugin_env(
            fake.base_url, HAVEN_DISCOURSE_COMMUNITIES=f"{instance_host(fake.base_url)}/*={COMMUNITY}"
        )
        env = full_mode_env(redis_url, prefix, database, folder, HAVEN_POLICY_DIR=str(REPO / "policies"), **discourse)
        worker = start_worker(env, folder / "worker.log")
        try:
            api, base = start_api(env, folder / "api.log")
            try:
                with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10) as client:
                    haven = Haven(base, fake, client)
                    yield haven
            finally:
                api.stop()
        finally:
            worker.stop()
            store.dispose()
            delete_keys(redis_url, prefix)


def _until(condition: Any) -> Any:
    from tests.integration.harness import wait_until

    return wait_until(condition)


def test_crisis_post_gets_resources_by_private_message_and_alerts_the_moderators(haven: Haven) -> None:
    response = haven.deliver(post_payload(5001, CRISIS, username="night_owl"))
    assert response.status_code == 202, response.text
    decision = haven.decision(response.json()["decision_id"])["decision"]
    assert decision["verdict"] == "escalate"

    def both_sent() -> list[dict[str, Any]] | None:
        mine = [
            m
            for m in haven.fake.private_messages()
            if m["target_recipients"] == "night_owl"
            or (m["target_recipients"] == "moderators" and decision["id"] in m["raw"])
        ]
        return mine if len(mine) >= 2 else None

    messages = {m["target_recipients"]: m for m in _until(both_sent)}
    assert "988" in messages["night_owl"]["raw"]
    assert "/77/2" in messages["moderators"]["raw"]
    assert CRISIS not in messages["moderators"]["raw"]


def test_doxxing_post_is_hidden_and_an_overturned_review_unhides_it(haven: Haven) -> None:
    response = haven.deliver(post_payload(5002, DOXXING))
    assert response.status_code == 202, response.text
    decision_id = response.json()["decision_id"]
    assert haven.decision(decision_id)["decision"]["verdict"] == "hold"
    _until(lambda: 5002 in haven.fake.hidden)
    (flag,) = [c for c in haven.fake.admin_calls("POST", "/post_actions.json") if c.body["id"] == 5002]
    assert flag.body["queue_for_review"] == "true"
    review = haven.client.post(
        f"/v1/decisions/{decision_id}/review", json={"outcome": "overturned", "moderator": "mod_mia", "note": ""}
    )
    assert review.status_code == 201, review.text
    _until(lambda: 5002 not in haven.fake.hidden)


def test_quote_of_someone_elses_crisis_post_is_not_escalated_as_the_quoters(haven: Haven) -> None:
    raw = f'[quote="hopeless_hannah, post:4, topic:77"]\n{CRISIS}\n[/quote]\n\nHannah, we are here for you.'
    response = haven.deliver(post_payload(5003, raw, username="kind_karen"))
    assert response.status_code == 202, response.text
    decision = haven.decision(response.json()["decision_id"])["decision"]
    assert decision["verdict"] != "escalate"
    assert not any(a["kind"] == "escalate" for a in decision["actions"])
    assert any(m["category"] == "crisis.imminent" for m in decision["quoted_matches"])


def test_a_markdown_blockquote_of_a_crisis_line_is_not_escalated_but_the_quoters_own_words_are(haven: Haven) -> None:
    quoting = haven.deliver(post_payload(5006, f"> {CRISIS}\n\nWe are here for you.", username="kind_karen"))
    own = haven.deliver(post_payload(5007, f"> {CRISIS}\n\nHonestly I want to die too.", username="kind_kim"))
    assert (quoting.status_code, own.status_code) == (202, 202), (quoting.text, own.text)
    quoted = haven.decision(quoting.json()["decision_id"])["decision"]
    assert quoted["verdict"] != "escalate"
    assert any(m["category"] == "crisis.imminent" for m in quoted["quoted_matches"])
    assert haven.decision(own.json()["decision_id"])["decision"]["verdict"] == "escalate"


def test_a_retried_delivery_is_judged_once(haven: Haven) -> None:
    payload = post_payload(5004, "Rough night, but I made it to morning.")
    first = haven.deliver(payload, event_id=101)
    retry = haven.deliver(payload, event_id=102)
    assert first.status_code == 202
    assert retry.status_code == 200
    assert retry.json() == {"status": "duplicate", "decision_id": first.json()["decision_id"]}
    assert haven.decision(first.json()["decision_id"])["decision"]["verdict"] == "allow"


def test_a_bad_signature_gets_401_and_no_work(haven: Haven) -> None:
    payload = post_payload(5005, CRISIS)
    body, headers = delivery(payload, "post_created", instance=haven.fake.base_url, secret="wrong secret")
    response = httpx.post(haven.base + WEBHOOK, content=body, headers=headers, timeout=10)
    assert response.status_code == 401
    post = post_from_payload(payload["post"], community=COMMUNITY, base_url=haven.fake.base_url, locale="en-US")
    assert haven.client.get(f"/v1/decisions/{post.decision_id()}").status_code == 404


def test_the_webhook_answers_503_while_redis_is_down(tmp_path: Path) -> None:
    from tests.integration.harness import OwnRedis, full_mode_env, new_key_prefix, postgres_database, start_api

    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    with fake_discourse() as fake, postgres_database(prefix="haven_discourse") as database:
        from haven.store.migrate import upgrade
        from haven.store.sql import SqlStore

        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        store.dispose()
        discourse = plugin_env(
            fake.base_url, HAVEN_DISCOURSE_COMMUNITIES=f"{instance_host(fake.base_url)}/*={COMMUNITY}"
        )
        env = full_mode_env(own_redis.url, new_key_prefix(), database, tmp_path, **discourse)
        api, base = start_api(env, tmp_path / "api.log")
        try:
            own_redis.kill()
            body, headers = delivery(post_payload(5100, "A hard week."), "post_created", instance=fake.base_url)
            answer = httpx.post(base + WEBHOOK, content=body, headers=headers, timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"]
        finally:
            api.stop()


def test_a_staff_reply_in_the_moderators_message_becomes_an_acknowledgement_and_a_review(haven: Haven) -> None:
    """The proof the moderators' loop closes on Discourse: `!haven ack` and `!haven overturn`
    replied in Haven's moderators' message, delivered by the signed webhook, recorded by Haven."""
    response = haven.deliver(post_payload(5011, CRISIS, username="night_hawk"))
    decision_id = haven.decision(response.json()["decision_id"])["decision"]["id"]
    topic = _until(lambda: [t for t, b in haven.fake.private_topics.items() if decision_id in b["raw"]])[0]

    def staff_reply(post_id: int, raw: str, *, staff: bool = True, username: str = "mod_mia") -> httpx.Response:
        payload = post_payload(post_id, raw, topic_id=topic, username=username, staff=staff, moderator=staff,
                               archetype="private_message")  # fmt: skip
        payload["post"].update(category_id=None, category_slug=None)
        return haven.deliver(payload)

    assert staff_reply(5012, "!haven ack").json()["status"] == "recorded"
    again = haven.client.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.json()["acknowledged_by"] == "discourse:mod_mia"

    assert staff_reply(5013, "!haven overturn", staff=False, username="curious_member").json()["status"] == "refused"
    assert staff_reply(5014, "!haven overturn a lyric, she is fine").json()["status"] == "recorded"
    assert staff_reply(5014, "!haven overturn a lyric, she is fine").json()["status"] == "duplicate"
    (review,) = haven.decision(decision_id)["reviews"]
    assert (review["outcome"], review["moderator"], review["note"]) == (
        "overturned",
        "discourse:mod_mia",
        "a lyric, she is fine",
    )
    answers = [r["raw"].split(" ")[0] for r in haven.fake.replies[topic]]
    assert answers == ["Acknowledged", "@curious_member:", "Overturned"]


def test_an_acknowledgement_through_the_api_is_said_once_in_the_moderators_message(haven: Haven) -> None:
    response = haven.deliver(post_payload(5021, CRISIS, username="late_owl"))
    decision_id = haven.decision(response.json()["decision_id"])["decision"]["id"]
    topic = _until(lambda: [t for t, b in haven.fake.private_topics.items() if decision_id in b["raw"]])[0]

    first = haven.client.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-alex"})
    assert first.status_code == 200, first.text
    said = _until(lambda: haven.fake.replies.get(topic))
    assert len(said) == 1 and said[0]["raw"].startswith("Acknowledged by mod-alex at ")
    # A second acknowledgement is not the first: Haven tells no plugin.
    again = haven.client.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.json()["acknowledged_by"] == "mod-alex"
    assert len(haven.fake.replies[topic]) == 1


def test_a_review_through_the_api_acknowledges_and_is_said_once_in_the_moderators_message(haven: Haven) -> None:
    response = haven.deliver(post_payload(5031, CRISIS, username="early_lark"))
    decision_id = haven.decision(response.json()["decision_id"])["decision"]["id"]
    topic = _until(lambda: [t for t, b in haven.fake.private_topics.items() if decision_id in b["raw"]])[0]

    reviewed = haven.client.post(
        f"/v1/decisions/{decision_id}/review", json={"outcome": "upheld", "moderator": "mod-sam"}
    )
    assert reviewed.status_code == 201, reviewed.text
    said = _until(lambda: haven.fake.replies.get(topic))
    assert len(said) == 1 and said[0]["raw"].startswith("Acknowledged by mod-sam at ")
    assert haven.decision(decision_id)["reviews"][0]["moderator"] == "mod-sam"
