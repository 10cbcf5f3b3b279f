"""GET /v1/decisions/{id}/history: one decision's story in time order, as a moderator reads it."""

from __future__ import annotations

import json
from collections.abc import Callable

from haven.plugins.ledger import ActionLedger

from tests.integration.harness import WebhookReceiver, wait_until
from tests.unit.service.moderators import CRISIS, Running, events

EVERY_EVENT = (
    "decision.created",
    "escalation.created",
    "escalation.reminder",
    "escalation.acknowledged",
    "review.recorded",
)


def test_the_history_tells_decision_reminders_acknowledgement_review_deliveries_and_actions_in_order(
    start: Callable[..., Running], hooks: WebhookReceiver
) -> None:
    haven = start(HAVEN_ESCALATION_ACK_SECONDS="0.3", HAVEN_ESCALATION_REMINDERS="5")
    path = haven.subscribe(hooks, *EVERY_EVENT)
    decision_id = haven.post("1", CRISIS)
    wait_until(lambda: events(hooks, path, "escalation.reminder"))
    # A platform action the post's plugin carried out, as the ledger records it.
    decision = haven.services.store.get_decision("g", decision_id)
    assert decision is not None
    ledger = ActionLedger(haven.services.store.engine)
    planned = ledger.plan([decision.decision])
    assert planned
    ledger.record_attempt(planned[0][0], status="done", detail="removed", platform_ref="r-1", final=True)

    acknowledged = haven.client.post(
        f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "sam"}, headers=haven.auth
    )
    assert acknowledged.status_code == 200, acknowledged.text
    reviewed = haven.client.post(
        f"/v1/decisions/{decision_id}/review",
        json={"outcome": "upheld", "moderator": "kim", "note": "reached out by phone"},
        headers=haven.auth,
    )
    assert reviewed.status_code == 201, reviewed.text
    wait_until(lambda: events(hooks, path, "review.recorded") and events(hooks, path, "escalation.acknowledged"))

    def delivered() -> dict[str, object] | None:
        answer = haven.client.get(f"/v1/decisions/{decision_id}/history", headers=haven.auth)
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        statuses = {d["status"] for d in body["deliveries"]}  # type: ignore[attr-defined]
        return body if statuses == {"delivered"} else None

    history = wait_until(delivered)
    assert history["decision"]["id"] == decision_id
    assert history["decision"]["verdict"] == "escalate" and history["decision"]["policy_version"]
    timeline = history["timeline"]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    kinds = [e["kind"] for e in timeline]
    assert kinds[:3] == ["received", "decided", "escalation.opened"]
    assert kinds.index("escalation.reminder") < kinds.index("escalation.acknowledged") < kinds.index("review")
    assert {"webhook", "action"} <= set(kinds)
    acknowledgement = next(e for e in timeline if e["kind"] == "escalation.acknowledged")
    assert acknowledgement["by"] == "sam"
    review = next(e for e in timeline if e["kind"] == "review")
    assert review["by"] == "kim" and review["detail"] == "upheld: reached out by phone"

    escalation = history["escalation"]
    assert escalation["acknowledged_by"] == "sam"
    assert len(escalation["reminded_at"]) == escalation["reminders_sent"] >= 1
    assert [e["kind"] for e in timeline].count("escalation.reminder") == escalation["reminders_sent"]
    assert history["reviews"][0]["note"] == "reached out by phone"
    assert history["queue"]["reviewed_at"] is not None

    sent = {d["event_type"] for d in history["deliveries"]}
    assert sent == set(EVERY_EVENT)
    assert all(len(d["attempts"]) >= 1 for d in history["deliveries"])
    # Deliveries say what and how, never where to or with which secret.
    subscription = haven.client.get("/v1/webhooks", headers=haven.auth).json()[0]
    text = json.dumps(history)
    assert hooks.base_url not in text and subscription["id"] not in text
    action = history["actions"][0]
    assert action["action"]["status"] == "done" and action["attempts"][0]["detail"] == "removed"


def test_a_decision_that_needed_nobody_has_a_short_history(start: Callable[..., Running]) -> None:
    haven = start()
    allowed = haven.post("1", "a kind word for everyone")
    history = haven.client.get(f"/v1/decisions/{allowed}/history", headers=haven.auth).json()
    assert [e["kind"] for e in history["timeline"]] == ["received", "decided"]
    assert history["escalation"] is None and history["queue"] is None
    assert history["reviews"] == [] and history["deliveries"] == [] and history["actions"] == []


def test_an_unknown_or_another_communitys_decision_is_a_404_problem(start: Callable[..., Running]) -> None:
    haven = start()
    decision_id = haven.post("1", CRISIS)
    missing = haven.client.get("/v1/decisions/nope/history", headers=haven.auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["type"].endswith("/not-found")
    elsewhere, _ = haven.services.store.create_api_key("other", ["review"])
    hidden = haven.client.get(f"/v1/decisions/{decision_id}/history", headers={"authorization": f"Bearer {elsewhere}"})
    assert hidden.status_code == 404


def test_the_history_needs_the_review_scope(start: Callable[..., Running]) -> None:
    haven = start()
    decision_id = haven.post("1", CRISIS)
    reader, _ = haven.services.store.create_api_key("g", ["read"])
    refused = haven.client.get(f"/v1/decisions/{decision_id}/history", headers={"authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    reviewer, _ = haven.services.store.create_api_key("g", ["review"])
    allowed = haven.client.get(f"/v1/decisions/{decision_id}/history", headers={"authorization": f"Bearer {reviewer}"})
    assert allowed.status_code == 200
