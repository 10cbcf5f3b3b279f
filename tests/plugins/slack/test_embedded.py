"""Embedded mode (no HAVEN_REDIS_URL, no HAVEN_DATABASE_URL): `haven serve` alone, on
SQLite, judges Slack messages and carries out the platform actions on a thread of its
own. This workspace has no admin user token, so Haven cannot delete members' messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from haven.plugins.ledger import ActionLedger
from haven.store.sql import make_engine

from tests.integration.harness import haven_env, run_haven, start_api, wait_until
from tests.plugins.slack.conftest import (
    BOT_TOKEN,
    CHANNEL,
    MODERATORS,
    Haven,
    decision_id_of,
    message,
    slack_env,
)
from tests.plugins.slack.fake_slack import fake_slack

pytestmark = pytest.mark.integration

CRISIS = "I'm going to end my life this weekend, I've written the notes already"
RUN = uuid.uuid4().hex[:6].upper()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Haven]:
    folder = tmp_path_factory.mktemp("slack-embedded")
    community = f"slack-embedded-{uuid.uuid4().hex[:8]}"
    with fake_slack() as slack:
        env = haven_env(
            HAVEN_EMBEDDED_DB_PATH=str(folder / "haven.db"), **slack_env(slack, community, admin_token=False)
        )
        assert "HAVEN_REDIS_URL" not in env and "HAVEN_DATABASE_URL" not in env
        made = run_haven("keys", "create", community, "--scope", "admin", env=env)
        assert made.returncode == 0, made.stderr
        process, base = start_api(env, folder / "serve.log")
        engine = make_engine(f"sqlite:///{folder / 'haven.db'}")
        try:
            assert "running embedded" in process.logs()
            headers = {"authorization": f"Bearer {made.stdout.strip()}"}
            with httpx.Client(base_url=base, headers=headers, timeout=10) as api:
                yield Haven(base, slack, api, community, ActionLedger(engine), [folder / "serve.log"])
        finally:
            process.stop()
            engine.dispose()


def test_crisis_message_reaches_slack_as_resources_and_alert_from_serve_alone(embedded: Haven) -> None:
    member = f"UEMBEDDED{RUN}"
    sent = message(CRISIS, user=member)

    assert embedded.event(sent).json()["status"] == "accepted"

    decision_id = decision_id_of(embedded.community, sent["ts"])
    assert embedded.decision(decision_id)["decision"]["verdict"] == "escalate"
    ephemeral = wait_until(lambda: embedded.slack.to("chat.postEphemeral", user=member))
    assert [(c.token, c.body["channel"]) for c in ephemeral] == [(BOT_TOKEN, CHANNEL)]
    assert "988" in ephemeral[0].body["text"]  # the US line, for an en-US member
    alert = embedded.alert_of(decision_id)
    assert alert.token == BOT_TOKEN
    actions = wait_until(
        lambda: (
            (found := embedded.ledger.for_decision(decision_id)) and all(a.status != "pending" for a in found) and found
        )
    )
    assert {(a.kind, a.status) for a in actions if a.kind in ("escalate", "reply")} == {
        ("escalate", "done"),
        ("reply", "done"),
    }
    assert {a.status for a in actions if a.kind not in ("escalate", "reply")} <= {"unsupported"}  # labels


def test_remove_button_without_an_admin_token_asks_the_moderators_to_remove_by_hand(embedded: Haven) -> None:
    sent = message(CRISIS, user=f"UNOADMIN{RUN}")
    embedded.event(sent)
    decision_id = decision_id_of(embedded.community, sent["ts"])
    alert = embedded.alert_of(decision_id)

    assert embedded.click(alert.body, "haven_remove", moderator="UMODHAND").status_code == 200

    asked = wait_until(
        lambda: [
            c
            for c in embedded.slack.to("chat.postMessage", channel=MODERATORS)
            if "by hand" in c.body["text"] and decision_id in c.body["text"]
        ]
    )
    assert len(asked) == 1
    assert asked[0].token == BOT_TOKEN
    # The review acknowledges the crisis too: two updates, in either order, the last shows both.
    updated = wait_until(
        lambda: (found := embedded.slack.to("chat.update", channel=MODERATORS, ts=alert.answer["ts"]))[1:] and found
    )
    assert "<@UMODHAND> asked for removal" in updated[-1].body["text"]
    assert all(b["type"] != "actions" for b in updated[-1].body["blocks"])
    reviews = embedded.decision(decision_id)["reviews"]
    assert [(r["outcome"], r["moderator"]) for r in reviews] == [("upheld", "slack:UMODHAND")]
    assert not embedded.slack.to("chat.delete")  # nothing was deleted: Haven cannot here


def test_an_acknowledgement_through_the_api_shows_on_the_alert_from_serve_alone(embedded: Haven) -> None:
    sent = message(CRISIS, user=f"UACKAPI{RUN}")
    embedded.event(sent)
    decision_id = decision_id_of(embedded.community, sent["ts"])
    alert = embedded.alert_of(decision_id)

    acknowledged = embedded.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-embedded"})
    assert acknowledged.status_code == 200, acknowledged.text

    updated = wait_until(lambda: embedded.slack.to("chat.update", channel=MODERATORS, ts=alert.answer["ts"]))
    assert len(updated) == 1
    assert "Acknowledged by mod-embedded" in str(updated[0].body["blocks"])
    assert all(e["action_id"] != "haven_acknowledge" for b in updated[0].body["blocks"] if b["type"] == "actions"
               for e in b["elements"])  # fmt: skip
