"""What moderators and members rely on once a decision is made: a deleted message's
pending actions are cancelled, the alert's Remove button deletes the message, and a
review made through the API updates the alert."""

from __future__ import annotations

import json
import uuid

import pytest
from haven.plugins.ledger import PlatformAction

from tests.integration.harness import wait_until
from tests.plugins.slack.conftest import (
    ADMIN_TOKEN,
    BOT_TOKEN,
    CHANNEL,
    MODERATORS,
    Haven,
    decision_id_of,
    message,
)

pytestmark = pytest.mark.integration

CRISIS = "I'm going to end my life this weekend, I've written the notes already"
MEDICATION = "Just stop taking your antidepressants, I quit cold turkey."

# Member ids of this run only: Haven caches a member's locale in Redis for a day.
RUN = uuid.uuid4().hex[:6].upper()


def deleted_event(sent: dict[str, str]) -> dict[str, object]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "hidden": True,
        "deleted_ts": sent["ts"],
        "ts": f"1800002000.{uuid.uuid4().int % 10**6:06d}",
        "previous_message": sent,
    }


def test_deleting_a_message_cancels_its_action_waiting_for_a_retry(haven: Haven) -> None:
    member = f"UDELETED{RUN}"
    # Slack keeps answering 429 to the crisis resources: the action waits for its Retry-After.
    haven.slack.limit("chat.postEphemeral", member, times=50, retry_after=3)
    sent = message(CRISIS, user=member)
    haven.event(sent)
    decision_id = decision_id_of(haven.community, sent["ts"])
    haven.alert_of(decision_id)

    def alerted_and_waiting() -> dict[str, PlatformAction] | None:
        actions = haven.actions(decision_id)
        done = actions.get("escalate") and actions["escalate"].status == "done"
        return actions if done and actions.get("reply") and actions["reply"].attempts == 1 else None

    waiting = wait_until(alerted_and_waiting)["reply"]
    assert waiting.status == "pending"
    calls_before = len(haven.slack.to("chat.postEphemeral", user=member))

    answer = haven.event(deleted_event(sent))

    assert answer.json()["status"] == "cancelled"
    assert haven.actions(decision_id)["reply"].status == "cancelled"
    assert haven.actions(decision_id)["escalate"].status == "done"  # what was done stays done
    # The retry comes due, finds the action cancelled and leaves Slack alone.
    wait_until(lambda: haven.logged("platform_action.not_pending", action_id=waiting.id, status="cancelled"))
    ephemerals = haven.slack.to("chat.postEphemeral", user=member)
    assert len(ephemerals) == calls_before
    assert not [c for c in ephemerals if c.answer.get("ok")]
    assert len(haven.ledger.attempts(waiting.id)) == 1


def test_remove_button_deletes_the_message_with_the_admin_token_and_records_the_review(haven: Haven) -> None:
    sent = message(CRISIS, user=f"UREMOVE{RUN}")
    haven.event(sent)
    decision_id = decision_id_of(haven.community, sent["ts"])
    alert = haven.alert_of(decision_id)
    assert "remove" not in haven.actions(decision_id)  # a crisis is not removed by Haven on its own
    assert not haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"])

    assert haven.click(alert.body, "haven_remove", moderator="UMODREMOVE").status_code == 200

    deleted = wait_until(lambda: haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"]))
    assert [c.token for c in deleted] == [ADMIN_TOKEN]
    reviews = wait_until(lambda: haven.decision(decision_id)["reviews"])
    assert [(r["outcome"], r["moderator"]) for r in reviews] == [("upheld", "slack:UMODREMOVE")]
    # The review is the crisis's acknowledgement too: two updates, in either order; the alert
    # ends showing the removal (and who acknowledged), its buttons gone.
    updates = wait_until(
        lambda: (found := haven.slack.to("chat.update", channel=MODERATORS, ts=alert.answer["ts"]))[1:] and found
    )
    assert {u.token for u in updates} == {BOT_TOKEN}
    assert "Removed by <@UMODREMOVE>" in updates[-1].body["text"]
    assert "Acknowledged by <@UMODREMOVE>" in json.dumps(updates[-1].body["blocks"])
    assert all(b["type"] != "actions" for b in updates[-1].body["blocks"])  # the buttons are gone


def test_review_through_the_api_updates_the_alert_and_takes_back_the_bots_reply(haven: Haven) -> None:
    sent = message(MEDICATION, user=f"UAPIREVIEW{RUN}")
    haven.event(sent)
    decision_id = decision_id_of(haven.community, sent["ts"])
    alert = haven.alert_of(decision_id)
    reply = wait_until(lambda: haven.slack.to("chat.postMessage", channel=CHANNEL, thread_ts=sent["ts"]))[0]

    answer = haven.api.post(
        f"/v1/decisions/{decision_id}/review",
        json={"outcome": "overturned", "moderator": "dana@grief-circle", "note": "she was quoting her doctor"},
    )

    assert answer.status_code == 201, answer.text
    updated = wait_until(lambda: haven.slack.to("chat.update", channel=MODERATORS, ts=alert.answer["ts"]))
    assert "Overturned by dana@grief-circle" in updated[0].body["text"]
    assert all(b["type"] != "actions" for b in updated[0].body["blocks"])
    deleted = wait_until(lambda: haven.slack.to("chat.delete", channel=CHANNEL, ts=reply.answer["ts"]))
    assert deleted[0].token == BOT_TOKEN
    assert not haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"])  # the member's message stays


def test_uphold_through_the_api_updates_the_alert(haven: Haven) -> None:
    sent = message(CRISIS, user=f"UAPIUPHOLD{RUN}")
    haven.event(sent)
    decision_id = decision_id_of(haven.community, sent["ts"])
    alert = haven.alert_of(decision_id)

    answer = haven.api.post(f"/v1/decisions/{decision_id}/review", json={"outcome": "upheld", "moderator": "sam"})

    assert answer.status_code == 201, answer.text
    # The review acknowledges the crisis too: two updates, in either order, the last shows both.
    updated = wait_until(
        lambda: (found := haven.slack.to("chat.update", channel=MODERATORS, ts=alert.answer["ts"]))[1:] and found
    )
    assert updated[-1].body["text"].endswith(": Upheld by sam")
    assert "Acknowledged by sam" in json.dumps(updated[-1].body["blocks"])
    assert not haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"])
