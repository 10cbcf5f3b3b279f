"""The Slack plugin through the real service: signed events in, Web API calls out."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta

import httpx
import pytest

from tests.integration.harness import wait_until
from tests.plugins.slack.conftest import (
    ADMIN_TOKEN,
    BOT_TOKEN,
    CHANNEL,
    MODERATORS,
    Haven,
    decision_id_of,
    message,
    signed_headers,
)

pytestmark = pytest.mark.integration

CRISIS = "I'm going to end my life this weekend, I've written the notes already"
MEDICATION = "Just stop taking your antidepressants, I quit cold turkey."
HARASSMENT = "kys nobody wants you here"

# Member ids of this run only: Haven caches a member's locale in Redis for a day.
RUN = uuid.uuid4().hex[:6].upper()
U0GRIEF, U0PAIN, U0TROLL, U0REPLAY, U0FORGED, U0LIMITED, U0EDIT, U0SEEN, U0ELSEWHERE = (
    f"U{name}{RUN}" for name in ("GRIEF", "PAIN", "TROLL", "REPLAY", "FORGED", "LIMITED", "EDIT", "SEEN", "ELSE")
)


def test_url_verification_is_answered_with_the_challenge(haven: Haven) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"}).encode()
    answer = httpx.post(haven.base + "/v1/plugins/slack/events", content=body, headers=signed_headers(body))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": challenge}


def test_crisis_message_gives_the_author_resources_of_their_locale_and_alerts_moderators(haven: Haven) -> None:
    haven.slack.locales[U0GRIEF] = "en-GB"
    sent = message(CRISIS, user=U0GRIEF)
    assert haven.event(sent).json()["status"] == "accepted"

    decision = haven.decision(decision_id_of(haven.community, sent["ts"]))
    assert decision["decision"]["verdict"] == "escalate"
    ephemeral = wait_until(lambda: haven.slack.to("chat.postEphemeral", user=U0GRIEF))
    assert ephemeral[0].token == BOT_TOKEN
    assert ephemeral[0].body["channel"] == CHANNEL
    assert "Samaritans" in ephemeral[0].body["text"]  # the UK's line, for an en-GB member
    alert = haven.alert_of(decision["decision"]["id"])  # one alert per decision
    buttons = [e["action_id"] for b in alert.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["haven_uphold", "haven_overturn", "haven_remove", "haven_acknowledge"]
    assert re.search(r"\*[^*]*end my life[^*]*\*", json.dumps(alert.body["blocks"]))  # the matched words marked
    assert "Samaritans" in json.dumps(alert.body["blocks"])  # the line to offer, of the member's region


def test_acknowledge_button_records_the_slack_moderator_and_says_so_on_the_alert(haven: Haven) -> None:
    sent = message(CRISIS, user=U0SEEN)
    haven.event(sent)
    decision_id = haven.decision(decision_id_of(haven.community, sent["ts"]))["decision"]["id"]
    alert = haven.alert_of(decision_id)

    assert haven.click(alert.body, "haven_acknowledge", moderator="UACKER").status_code == 200

    updated = wait_until(lambda: [u for u in haven.slack.to("chat.update") if decision_id in json.dumps(u.body)])[0]
    shown = json.dumps(updated.body["blocks"])
    assert "Acknowledged by <@UACKER> <!date^" in shown
    assert "haven_acknowledge" not in shown and "haven_uphold" in shown  # still to review
    # Haven recorded it as this Slack user's: a later acknowledgement does not replace it.
    again = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.status_code == 200, again.text
    assert again.json()["acknowledged_by"] == "slack:UACKER"
    # A second click changes nothing on Slack either.
    assert haven.click(alert.body, "haven_acknowledge", moderator="UOTHER").status_code == 200
    # Haven's notice to the plugin (a worker's task) came too: it and the second click found it shown.
    wait_until(lambda: len(haven.logged("slack.acknowledged_shown", decision_id=decision_id, status="already")) == 2)
    assert len(haven.logged("slack.acknowledged_shown", decision_id=decision_id, status="updated")) == 1
    assert len([u for u in haven.slack.to("chat.update") if decision_id in json.dumps(u.body)]) == 1


def test_an_acknowledgement_through_the_api_shows_on_the_alert_once_without_the_button(haven: Haven) -> None:
    sent = message(CRISIS, user=U0ELSEWHERE)
    haven.event(sent)
    decision_id = haven.decision(decision_id_of(haven.community, sent["ts"]))["decision"]["id"]
    alert = haven.alert_of(decision_id)

    acknowledged = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-alex"})
    assert acknowledged.status_code == 200, acknowledged.text

    updated = wait_until(lambda: [u for u in haven.slack.to("chat.update") if decision_id in json.dumps(u.body)])
    assert len(updated) == 1
    assert (updated[0].body["channel"], updated[0].body["ts"]) == (MODERATORS, alert.answer["ts"])
    shown = json.dumps(updated[0].body["blocks"])
    assert "Acknowledged by mod-alex <!date^" in shown
    assert "haven_acknowledge" not in shown and "haven_uphold" in shown  # still to review
    # Acknowledged again (the API, then the button still on an old copy of the alert): nothing changes.
    again = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.json()["acknowledged_by"] == "mod-alex"
    assert haven.click(alert.body, "haven_acknowledge", moderator="ULATE").status_code == 200
    wait_until(lambda: haven.logged("slack.acknowledged_shown", decision_id=decision_id, status="already"))
    assert len([u for u in haven.slack.to("chat.update") if decision_id in json.dumps(u.body)]) == 1


def test_upholding_an_unacknowledged_escalation_shows_both_who_decided_and_who_acknowledged(haven: Haven) -> None:
    """The review is the acknowledgement too: two notices reach the plugin, in either order, and
    the alert ends showing both, with no buttons left (a notice whose update another overtook
    sends a third)."""
    sent = message(CRISIS, user=U0ELSEWHERE)
    haven.event(sent)
    decision_id = haven.decision(decision_id_of(haven.community, sent["ts"]))["decision"]["id"]
    alert = haven.alert_of(decision_id)

    assert haven.click(alert.body, "haven_uphold", moderator="UREVIEW").status_code == 200

    def final() -> str | None:
        updates = [u for u in haven.slack.to("chat.update") if decision_id in json.dumps(u.body)]
        shown = json.dumps(updates[-1].body["blocks"]) if len(updates) >= 2 else ""
        return shown if "Upheld by" in shown and "Acknowledged by" in shown else None

    shown = wait_until(final)
    assert "<@UREVIEW>" in shown
    assert "haven_acknowledge" not in shown and "haven_uphold" not in shown


def test_overturn_button_takes_back_the_bots_reply_and_shows_who_decided(haven: Haven) -> None:
    sent = message(MEDICATION, user=U0PAIN)
    haven.event(sent)
    decision_id = decision_id_of(haven.community, sent["ts"])
    reply = wait_until(lambda: haven.slack.to("chat.postMessage", channel=CHANNEL, thread_ts=sent["ts"]))[0]
    alert = wait_until(
        lambda: [a for a in haven.slack.to("chat.postMessage", channel=MODERATORS) if decision_id in json.dumps(a.body)]
    )[0]

    assert haven.click(alert.body, "haven_overturn").status_code == 200

    reviews = wait_until(lambda: haven.decision(decision_id)["reviews"])
    assert reviews[0]["outcome"] == "overturned"
    assert reviews[0]["moderator"] == "slack:UMOD"
    deleted = wait_until(lambda: haven.slack.to("chat.delete", channel=CHANNEL, ts=reply.answer["ts"]))
    assert deleted[0].token == BOT_TOKEN  # the bot takes back its own reply
    updated = wait_until(
        lambda: [u for u in haven.slack.to("chat.update") if "Overturned by <@UMOD>" in u.body["text"]]
    )
    assert all(b["type"] != "actions" for b in updated[0].body["blocks"])
    assert not haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"])  # the member's message stays


def test_harassment_is_deleted_with_the_admin_token(haven: Haven) -> None:
    sent = message(HARASSMENT, user=U0TROLL)
    haven.event(sent)
    deleted = wait_until(lambda: haven.slack.to("chat.delete", channel=CHANNEL, ts=sent["ts"]))
    assert deleted[0].token == ADMIN_TOKEN


def test_replayed_event_is_judged_once(haven: Haven) -> None:
    sent = message(CRISIS, user=U0REPLAY)
    event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
    first = haven.event(sent, event_id=event_id)
    again = haven.event(sent, event_id=event_id, **{"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert first.json()["status"] == "accepted"
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    haven.decision(decision_id_of(haven.community, sent["ts"]))
    wait_until(lambda: haven.slack.to("chat.postEphemeral", user=U0REPLAY))
    assert len(haven.slack.to("users.info", user=U0REPLAY)) == 1  # only the first delivery was looked at


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "stale timestamp", "no signature", "body changed"],
)
def test_bad_or_stale_signature_gets_401_and_no_work(haven: Haven, tamper: str) -> None:
    sent = message(CRISIS, user=U0FORGED)
    event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
    envelope = {"type": "event_callback", "team_id": "T0HAVEN", "event_id": event_id, "event": sent}
    body = json.dumps(envelope).encode()
    if tamper == "wrong secret":
        headers = signed_headers(body, secret="not-the-secret")
    elif tamper == "stale timestamp":
        headers = signed_headers(body, timestamp=int(time.time()) - 301)
    elif tamper == "no signature":
        headers = {"x-slack-request-timestamp": str(int(time.time()))}
    else:
        headers = signed_headers(body)
        body = body.replace(U0FORGED.encode(), b"U0OTHERS")
    answer = httpx.post(haven.base + "/v1/plugins/slack/events", content=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid request"}
    assert haven.api.get(f"/v1/decisions/{decision_id_of(haven.community, sent['ts'])}").status_code == 404
    # No dedupe key was taken: the genuine delivery of the same event is still judged.
    assert haven.event(sent, event_id=event_id).json()["status"] == "accepted"


def test_rate_limited_ephemeral_is_retried_after_retry_after(haven: Haven) -> None:
    haven.slack.limit("chat.postEphemeral", U0LIMITED, times=1, retry_after=1)
    sent = message(CRISIS, user=U0LIMITED)
    haven.event(sent)
    calls = wait_until(lambda: [c for c in haven.slack.to("chat.postEphemeral", user=U0LIMITED) if c.answer["ok"]])
    assert len(calls) == 1
    assert [c.answer["ok"] for c in haven.slack.to("chat.postEphemeral", user=U0LIMITED)] == [False, True]
    # The task's countdown was Slack's Retry-After (1 s), longer than the backoff (0.2 s).
    reply = haven.actions(decision_id_of(haven.community, sent["ts"]))["reply"]
    attempts = wait_until(lambda: len(found := haven.ledger.attempts(reply.id)) == 2 and found)
    assert [a["status"] for a in attempts] == ["failed", "done"]
    assert attempts[1]["at"] - attempts[0]["at"] >= timedelta(seconds=1)


def test_bots_and_own_messages_are_not_judged(haven: Haven) -> None:
    assert haven.event(message(CRISIS, user="UBOT")).json()["status"] == "ignored"
    assert haven.event(message(CRISIS, bot_id="B0OTHER")).json()["status"] == "ignored"


def test_edit_is_judged_again_and_deletion_is_acknowledged(haven: Haven) -> None:
    sent = message("Having a rough week, thanks for listening", user=U0EDIT)
    haven.event(sent)
    assert haven.decision(decision_id_of(haven.community, sent["ts"]))["decision"]["verdict"] == "allow"
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "hidden": True,
        "ts": "1800000999.000001",
        "event_ts": "1800000999.000001",
        "message": {**sent, "text": CRISIS, "edited": {"user": U0EDIT, "ts": "1800000999.000001"}},
        "previous_message": sent,
    }
    assert haven.event(edited).json()["status"] == "accepted"
    again = haven.decision(decision_id_of(haven.community, sent["ts"], revision="1800000999.000001"))
    assert again["decision"]["verdict"] == "escalate"
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "hidden": True,
        "deleted_ts": sent["ts"],
        "ts": "1800001000.000001",
        "previous_message": sent,
    }
    assert haven.event(deleted).json()["status"] == "cancelled"


def test_a_signed_body_nested_too_deep_is_a_400_not_a_500(haven: Haven) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    answer = httpx.post(
        haven.base + "/v1/plugins/slack/events",
        content=body,
        headers={"content-type": "application/json", **signed_headers(body)},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
