"""Full mode: a real `haven worker`, `haven scheduler` and `haven serve`. An unacknowledged
escalation is reminded at the configured times and then goes to the on-call list; once
acknowledged, nothing more is sent; a restart of the scheduler in between changes nothing."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import WebhookReceiver, start_scheduler, wait_until
from tests.integration.test_pipeline_end_to_end import CRISIS, a_post, decided, subscribe

pytestmark = pytest.mark.integration

# As conftest's service_env sets them: the first reminder 1.5 s after the decision, the
# second 3 s after that; after these two, 6 s later, the on-call list.
ACK = 1.5


def sent(receiver: WebhookReceiver, path: str, event_type: str, decision_id: str) -> list[dict[str, Any]]:
    return [
        r.payload["data"]
        for r in receiver.at(path)
        if r.verified and r.payload["type"] == event_type and r.payload["data"]["decision_id"] == decision_id
    ]


def arrived(receiver: WebhookReceiver, path: str, event_type: str, decision_id: str) -> list[datetime]:
    """When each delivery of the event was signed (its webhook-timestamp, whole seconds)."""
    return [
        datetime.fromtimestamp(int(r.headers["webhook-timestamp"])).astimezone()
        for r in receiver.at(path)
        if r.verified and r.payload["type"] == event_type and r.payload["data"]["decision_id"] == decision_id
    ]


def test_reminders_come_at_growing_waits_stop_when_acknowledged_and_survive_a_scheduler_restart(
    api: httpx.Client,
    community: str,
    receiver: WebhookReceiver,
    service_env: dict[str, str],
    worker: WorkerHandle,
    tmp_path: Path,
) -> None:
    moderators = subscribe(api, receiver, "escalation.reminder", "escalation.acknowledged")
    on_call = subscribe(api, receiver, "escalation.unacknowledged")
    scheduler = start_scheduler(service_env, tmp_path / "beat-1.log")
    try:
        seen = decided(api, api.post("/v1/posts", json=a_post(community, CRISIS)).json()["id"])["decision"]
        ignored = decided(api, api.post("/v1/posts", json=a_post(community, CRISIS + "!")).json()["id"])["decision"]
        wait_until(lambda: sent(receiver, moderators, "escalation.reminder", seen["id"]))
    finally:
        scheduler.stop()
    # The scheduler is down while the second reminders fall due: they come once it is back.
    opened = datetime.fromisoformat(seen["timings"]["decided_at"])
    time.sleep(max(0.0, (opened + timedelta(seconds=ACK * 3 + 0.5) - datetime.now(opened.tzinfo)).total_seconds()))
    assert len(sent(receiver, moderators, "escalation.reminder", seen["id"])) == 1
    scheduler = start_scheduler(service_env, tmp_path / "beat-2.log")
    try:
        second = wait_until(lambda: sent(receiver, moderators, "escalation.reminder", seen["id"])[1:])
        assert second[0]["reminder"] == 2 and second[0]["decision"]["id"] == seen["id"]
        assert second[0]["links"]["acknowledge"].endswith(f"/v1/decisions/{seen['id']}/acknowledge")

        answer = api.post(f"/v1/decisions/{seen['id']}/acknowledge", json={"moderator": "sam"})
        assert answer.status_code == 200, answer.text
        acknowledged = wait_until(lambda: sent(receiver, moderators, "escalation.acknowledged", seen["id"]))
        assert acknowledged[0]["acknowledged_by"] == "sam"

        # The other escalation, never acknowledged, goes on to the on-call list ...
        told = wait_until(lambda: sent(receiver, on_call, "escalation.unacknowledged", ignored["id"]), timeout=30)
        assert told[0]["reminders_sent"] == 2
        reminded = arrived(receiver, moderators, "escalation.reminder", ignored["id"])
        opened_other = datetime.fromisoformat(ignored["timings"]["decided_at"])
        # ... each reminder no sooner than its time (whole seconds in webhook-timestamp).
        assert reminded[0] >= opened_other + timedelta(seconds=ACK - 1)
        assert reminded[1] >= opened_other + timedelta(seconds=ACK * 3 - 1)
        # ... while the acknowledged one, whose on-call time has passed as well, is left alone.
        wait_until(lambda: datetime.now(opened.tzinfo) > opened + timedelta(seconds=ACK * 7 + 1), timeout=30)
        time.sleep(1.0)
    finally:
        scheduler.stop()
    assert len(sent(receiver, moderators, "escalation.reminder", seen["id"])) == 2
    assert sent(receiver, on_call, "escalation.unacknowledged", seen["id"]) == []
    assert len(sent(receiver, moderators, "escalation.acknowledged", seen["id"])) == 1
