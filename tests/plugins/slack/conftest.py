"""Haven with the Slack plugin on, against a loopback stand-in for Slack's Web API:
`haven serve` and `haven worker` processes, Redis, PostgreSQL. Requests to Haven are
signed as Slack signs them, and each signature is cross-checked with slack_sdk."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from haven.plugins.ledger import ActionLedger, PlatformAction
from haven_slack.signature import sign
from slack_sdk.signature import SignatureVerifier

from tests.plugins.slack.fake_slack import Call, FakeSlack, fake_slack

REPO = Path(__file__).resolve().parents[3]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-bot"
ADMIN_TOKEN = "xoxp-test-admin"
TEAM = "T0HAVEN"
CHANNEL = "C0SUPPORT"
MODERATORS = "C0MODS"
# The harness gives xdist workers Redis databases 5 and up for their session's worker
# (so 5 and 6 under `-n 2`); the Slack worker of each xdist worker gets one of its own
# (14 and 15), since workers sharing a database share queues.
FIRST_REDIS_DB = int(os.environ.get("HAVEN_TEST_SLACK_REDIS_DB", "14"))


def signed_headers(body: bytes, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"x-slack-request-timestamp": ts, "x-slack-signature": sign(secret, ts, body)}
    if secret == SECRET and timestamp is None:
        # The same request must pass Slack's own verifier.
        assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    return headers


@dataclass
class Haven:
    base: str
    slack: FakeSlack
    api: httpx.Client
    community: str
    # The ledger of platform actions (PostgreSQL or, embedded, SQLite) and the processes' logs.
    ledger: ActionLedger
    logs: list[Path]

    def event(self, event: dict[str, Any], *, event_id: str | None = None, **headers: str) -> httpx.Response:
        envelope = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0HAVEN",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        body = json.dumps(envelope).encode()
        return httpx.post(
            self.base + "/v1/plugins/slack/events",
            content=body,
            headers={"content-type": "application/json", **signed_headers(body), **headers},
            timeout=10,
        )

    def click(self, alert: dict[str, Any], action_id: str, moderator: str = "UMOD") -> httpx.Response:
        button = next(
            e for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
        )
        payload = {
            "type": "block_actions",
            "user": {"id": moderator, "username": "mod", "name": "mod", "team_id": TEAM},
            "api_app_id": "A0HAVEN",
            "team": {"id": TEAM},
            "channel": {"id": MODERATORS, "name": "mods"},
            "container": {"type": "message", "message_ts": "1800000000.000001", "channel_id": MODERATORS},
            "actions": [{"action_id": action_id, "block_id": "b", "value": button["value"], "type": "button"}],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return httpx.post(
            self.base + "/v1/plugins/slack/interactions",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded", **signed_headers(body)},
            timeout=10,
        )

    def decision(self, decision_id: str) -> dict[str, Any]:
        from tests.integration.harness import wait_until

        def decided() -> dict[str, Any] | None:
            found: dict[str, Any] = self.api.get(f"/v1/decisions/{decision_id}").json()
            return found if found.get("status") == "decided" else None

        result: dict[str, Any] = wait_until(decided)
        return result

    def alert_of(self, decision_id: str) -> Call:
        """The moderators' alert of a decision, once posted."""
        from tests.integration.harness import wait_until

        found: list[Call] = wait_until(
            lambda: [
                c
                for c in self.slack.to("chat.postMessage", channel=MODERATORS)
                if c.answer.get("ok") and decision_id in json.dumps(c.body.get("blocks") or [])
            ]
        )
        assert len(found) == 1, "one alert per decision"
        return found[0]

    def actions(self, decision_id: str) -> dict[str, PlatformAction]:
        """The decision's platform actions in the ledger, by kind."""
        return {a.kind: a for a in self.ledger.for_decision(decision_id)}

    def logged(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        """JSON log lines of the Haven processes with this event and these fields."""
        from tests.integration.harness import json_log_entries

        return [
            entry
            for path in self.logs
            for entry in json_log_entries(path.read_text(errors="replace"))
            if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items())
        ]


def message(text: str, *, user: str = "U0MEMBER", ts: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts or f"17000{uuid.uuid4().int % 10**5:05d}.{uuid.uuid4().int % 10**6:06d}",
        "team": TEAM,
        **extra,
    }


def decision_id_of(community: str, ts: str, revision: str = "1") -> str:
    from haven.domain import Author, Post

    return Post(
        platform="slack", community=community, external_id=f"{CHANNEL}:{ts}", revision=revision, author=Author(id="x")
    ).decision_id()


def slack_env(slack: FakeSlack, community: str, *, admin_token: bool = True, **overrides: str) -> dict[str, str]:
    """The plugin's settings, pointed at the stand-in, for `community`'s workspace."""
    env = {
        "HAVEN_POLICY_DIR": str(REPO / "policies"),
        "HAVEN_SLACK_SIGNING_SECRET": SECRET,
        "HAVEN_SLACK_BOT_TOKEN": BOT_TOKEN,
        "HAVEN_SLACK_API_BASE_URL": slack.base_url,
        "HAVEN_SLACK_MODERATOR_CHANNEL": MODERATORS,
        "HAVEN_SLACK_COMMUNITIES": f"{TEAM}={community}",
    }
    if admin_token:
        env["HAVEN_SLACK_ADMIN_USER_TOKEN"] = ADMIN_TOKEN
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def haven(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Haven]:
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    from tests.integration.harness import (
        REDIS_HOST,
        full_mode_env,
        postgres_database,
        start_api,
        start_worker,
        xdist_index,
    )

    folder = tmp_path_factory.mktemp("slack")
    community = f"slack-{uuid.uuid4().hex[:8]}"
    redis_url = f"{REDIS_HOST}/{FIRST_REDIS_DB + xdist_index(worker_id) % 2}"
    with fake_slack() as slack, postgres_database(prefix="haven_slack") as database:
        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        secret, _ = store.create_api_key(community, ["admin"])
        # Keys (queues too) under a prefix of this run only.
        env = full_mode_env(
            redis_url, f"{community}:", database, folder, visibility_seconds=30, **slack_env(slack, community)
        )
        worker = start_worker(env, folder / "worker.log")
        try:
            api_process, base = start_api(env, folder / "api.log")
            try:
                with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10) as api:
                    logs = [folder / "worker.log", folder / "api.log"]
                    yield Haven(base, slack, api, community, ActionLedger(store.engine), logs)
            finally:
                api_process.stop()
        finally:
            worker.stop()
            store.dispose()
