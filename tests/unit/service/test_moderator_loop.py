"""The moderators' loop in an embedded Haven: escalations acknowledged or reminded (timers in
the SQLite file, surviving a restart), the review queue's order, claims and crisis streaks."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from tests.integration.harness import WebhookReceiver, wait_until
from tests.unit.service.moderators import CRISIS, Running, events


def test_an_unacknowledged_escalation_is_reminded_with_growing_waits_then_the_on_call_list_is_told(
    start: Callable[..., Running], hooks: WebhookReceiver
) -> None:
    haven = start(HAVEN_ESCALATION_ACK_SECONDS="0.4", HAVEN_ESCALATION_REMINDERS="2")
    moderators = haven.subscribe(hooks, "escalation.created", "escalation.reminder")
    on_call = haven.subscribe(hooks, "escalation.unacknowledged")
    decision_id = haven.post("1", CRISIS)

    created = wait_until(lambda: events(hooks, moderators, "escalation.created"))[0]
    assert created["links"]["acknowledge"] == f"https://haven.example.org/v1/decisions/{decision_id}/acknowledge"
    assert created["links"]["console"] == f"https://haven.example.org/console/#decision/{decision_id}"
    told = wait_until(lambda: events(hooks, on_call, "escalation.unacknowledged"), timeout=20)
    reminders = events(hooks, moderators, "escalation.reminder")
    assert [r["reminder"] for r in reminders] == [1, 2]
    assert all(r["decision"]["id"] == decision_id for r in reminders)
    assert told[0]["reminders_sent"] == 2 and told[0]["acknowledged_at"] is None
    # Not sent to those who did not subscribe to it.
    assert events(hooks, moderators, "escalation.unacknowledged") == []
    # Each reminder waits twice as long as the one before: 0.4 s, then 0.8 s, then 1.6 s.
    escalation = haven.services.loop.escalations.get("g", decision_id)
    assert escalation is not None and escalation.next_due_at is None and escalation.unacknowledged_at is not None
    gaps = [(escalation.unacknowledged_at - escalation.opened_at).total_seconds()]
    assert gaps[0] >= 0.4 + 0.8 + 1.6
    time.sleep(0.5)
    assert len(events(hooks, on_call, "escalation.unacknowledged")) == 1


def ack_count(haven: Running) -> float:
    found = re.search(r"^haven_escalation_ack_seconds_count ([0-9.]+)$", haven.client.get("/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0


def test_an_acknowledged_escalation_gets_no_more_reminders(
    start: Callable[..., Running], hooks: WebhookReceiver
) -> None:
    haven = start(HAVEN_ESCALATION_ACK_SECONDS="0.5", HAVEN_ESCALATION_REMINDERS="5")
    path = haven.subscribe(hooks, "escalation.reminder", "escalation.acknowledged")
    decision_id = haven.post("1", CRISIS)
    wait_until(lambda: events(hooks, path, "escalation.reminder"))
    acknowledged_before = ack_count(haven)

    answer = haven.client.post(
        f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "sam"}, headers=haven.auth
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged_by"] == "sam"
    again = haven.client.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "kim"}, headers=haven.auth)
    assert again.json()["acknowledged_by"] == "sam"  # the first acknowledgement counts

    acknowledged = wait_until(lambda: events(hooks, path, "escalation.acknowledged"))
    assert acknowledged[0]["acknowledged_by"] == "sam" and acknowledged[0]["decision_id"] == decision_id
    # Every escalation event carries the same links as the decision's own events.
    links = events(hooks, path, "escalation.reminder")[0]["links"]
    assert acknowledged[0]["links"] == links
    assert links["console"] == f"https://haven.example.org/console/#decision/{decision_id}"
    sent = len(events(hooks, path, "escalation.reminder"))
    time.sleep(2.0)  # past the next reminder's time (0.5 s after the first, then 1 s)
    assert len(events(hooks, path, "escalation.reminder")) == sent
    assert len(events(hooks, path, "escalation.acknowledged")) == 1
    # The histogram is the process's, so other tests' acknowledgements count too: this one adds one.
    assert ack_count(haven) == acknowledged_before + 1
    assert "haven_escalations_open 0.0" in haven.client.get("/metrics").text


def test_reminder_timers_survive_a_restart(start: Callable[..., Running], hooks: WebhookReceiver) -> None:
    first = start(HAVEN_ESCALATION_ACK_SECONDS="1.5", HAVEN_ESCALATION_REMINDERS="1")
    path = first.subscribe(hooks, "escalation.reminder")
    decision_id = first.post("1", CRISIS)
    secret = first.auth["authorization"].removeprefix("Bearer ")
    first.client.__exit__(None, None, None)  # stopped before the first reminder was due

    assert events(hooks, path, "escalation.reminder") == []
    second = start(secret, HAVEN_ESCALATION_ACK_SECONDS="1.5", HAVEN_ESCALATION_REMINDERS="1")
    reminder = wait_until(lambda: events(hooks, path, "escalation.reminder"))
    assert reminder[0]["decision_id"] == decision_id and reminder[0]["reminder"] == 1
    assert second.services.loop.escalations.open_count() == 1


def test_acknowledging_what_did_not_escalate_or_does_not_exist_is_refused(start: Callable[..., Running]) -> None:
    haven = start()
    held = haven.post("1", "shut up you idiot")
    refused = haven.client.post(f"/v1/decisions/{held}/acknowledge", json={"moderator": "sam"}, headers=haven.auth)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/not-an-escalation")
    missing = haven.client.post("/v1/decisions/nope/acknowledge", json={"moderator": "sam"}, headers=haven.auth)
    assert missing.status_code == 404
    nobody = haven.client.post(f"/v1/decisions/{held}/acknowledge", json={}, headers=haven.auth)
    assert nobody.status_code == 400
    reader, _ = haven.services.store.create_api_key("g", ["read"])
    forbidden = haven.client.post(
        f"/v1/decisions/{held}/acknowledge", json={"moderator": "sam"}, headers={"authorization": f"Bearer {reader}"}
    )
    assert forbidden.status_code == 403


def test_the_queue_puts_crisis_first_then_severity_then_age(start: Callable[..., Running]) -> None:
    haven = start(HAVEN_QUEUE_BLUR_EVIDENCE="false")
    flagged = haven.post("1", "this miracle cure fixed my pain")  # low: review
    held = haven.post("2", "shut up you idiot")  # medium: hold
    older_crisis = haven.post("3", CRISIS)
    newer_crisis = haven.post("4", "I will kill myself")
    haven.post("5", "a kind word")  # allowed: not queued

    queue = haven.client.get("/v1/queue", headers=haven.auth).json()
    assert [i["decision_id"] for i in queue["items"]] == [older_crisis, newer_crisis, held, flagged]
    assert [i["severity"] for i in queue["items"]] == ["critical", "critical", "medium", "low"]
    assert queue["items"][0]["acknowledged"] is False and queue["items"][2]["acknowledged"] is None
    assert queue["items"][0]["evidence"][0]["text"] == "end my life"


def test_a_claim_is_exclusive_and_a_review_releases_it(start: Callable[..., Running]) -> None:
    haven = start()
    held = haven.post("1", "shut up you idiot")
    claim = haven.client.post(f"/v1/queue/{held}/claim", json={"moderator": "sam"}, headers=haven.auth)
    assert claim.status_code == 200, claim.text
    assert claim.json()["decision"]["matches"][0]["evidence"][0]["text"] == "you idiot"
    taken = haven.client.post(f"/v1/queue/{held}/claim", json={"moderator": "kim"}, headers=haven.auth)
    assert taken.status_code == 409
    assert taken.json()["claimed_by"] == "sam"
    listed = haven.client.get("/v1/queue", headers=haven.auth).json()
    assert listed["items"][0]["claimed_by"] == "sam"
    assert listed["evidence_blurred"] is True and listed["items"][0]["evidence"] is None

    reviewed = haven.client.post(
        f"/v1/decisions/{held}/review", json={"outcome": "upheld", "moderator": "sam"}, headers=haven.auth
    )
    assert reviewed.status_code == 201
    assert haven.client.get("/v1/queue", headers=haven.auth).json()["items"] == []
    late = haven.client.post(f"/v1/queue/{held}/claim", json={"moderator": "kim"}, headers=haven.auth)
    assert late.status_code == 409 and late.json()["type"].endswith("/already-reviewed")


def test_acknowledging_releases_a_claim_and_a_review_acknowledges(start: Callable[..., Running]) -> None:
    haven = start()
    first = haven.post("1", CRISIS)
    second = haven.post("2", "I will kill myself")
    haven.client.post(f"/v1/queue/{first}/claim", json={"moderator": "sam"}, headers=haven.auth)
    haven.client.post(f"/v1/decisions/{first}/acknowledge", json={"moderator": "sam"}, headers=haven.auth)
    assert (
        haven.client.post(f"/v1/queue/{first}/claim", json={"moderator": "kim"}, headers=haven.auth).status_code == 200
    )

    haven.client.post(
        f"/v1/decisions/{second}/review", json={"outcome": "upheld", "moderator": "kim"}, headers=haven.auth
    )
    escalation = haven.services.loop.escalations.get("g", second)
    assert escalation is not None and escalation.acknowledged_by == "kim"


def test_past_the_crisis_cap_a_moderator_is_offered_other_work_first(start: Callable[..., Running]) -> None:
    haven = start(HAVEN_QUEUE_CRISIS_IN_ROW="2")
    crises = [haven.post(str(n), CRISIS + f" {n}") for n in range(3)]
    held = haven.post("9", "shut up you idiot")
    for decision_id in crises[:2]:
        haven.client.post(f"/v1/queue/{decision_id}/claim", json={"moderator": "sam"}, headers=haven.auth)

    for_sam = haven.client.get("/v1/queue", params={"moderator": "sam"}, headers=haven.auth).json()
    assert for_sam["crisis_in_row"] == 2 and for_sam["crisis_cap"] == 2
    assert for_sam["items"][0]["decision_id"] == held
    assert {i["decision_id"] for i in for_sam["items"][1:]} == set(crises)  # still there, after
    for_kim = haven.client.get("/v1/queue", params={"moderator": "kim"}, headers=haven.auth).json()
    assert for_kim["items"][0]["crisis"] is True

    haven.client.post(f"/v1/queue/{held}/claim", json={"moderator": "sam"}, headers=haven.auth)
    again = haven.client.get("/v1/queue", params={"moderator": "sam"}, headers=haven.auth).json()
    assert again["crisis_in_row"] == 0 and again["items"][0]["crisis"] is True
