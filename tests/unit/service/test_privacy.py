"""Decisions keep evidence snippets, not whole posts, unless the operator turns that on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from haven.app import create_app
from haven.config import Settings
from haven.services import build_services
from haven.store.models import DecisionRow
from litestar.testing import TestClient
from sqlalchemy import select

from tests.unit.service.conftest import TEST_POLICIES

PRIVATE = "my neighbour Jo has the same diagnosis and shut up you idiot"


def decided_row(client: TestClient, secret: str) -> DecisionRow:  # type: ignore[type-arg]
    auth = {"authorization": f"Bearer {secret}"}
    post = {"platform": "f", "community": "g", "external_id": "1", "author": {"id": "a"}, "body": PRIVATE}
    url = client.post("/v1/posts", json=post, headers=auth).json()["url"]
    deadline = time.monotonic() + 10
    while client.get(url, headers=auth).json()["status"] != "decided":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    store = client.app.state["services"].store
    with store.engine.connect() as connection:
        row: DecisionRow = connection.execute(select(DecisionRow)).one()
        return row


@pytest.fixture(params=[False, True], ids=["default", "store-post-text"])
def client_and_key(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, str, bool]]:  # type: ignore[type-arg]
    settings = Settings.from_env(
        {
            "HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"),
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
            "HAVEN_STORE_POST_TEXT": str(request.param).lower(),
        }
    )
    services = build_services(settings)
    secret, _ = services.store.create_api_key("g", ["admin"])
    with TestClient(create_app(settings, services)) as client:
        yield client, secret, request.param
    services.store.dispose()


def test_post_text_is_kept_only_when_the_operator_enables_it(
    client_and_key: tuple[TestClient, str, bool],  # type: ignore[type-arg]
) -> None:
    client, secret, store_text = client_and_key
    row = decided_row(client, secret)
    assert "you idiot" in json.dumps(row.body)  # the evidence snippet
    if store_text:
        assert row.post_text == {"title": "", "body": PRIVATE}
    else:
        assert row.post_text is None
        assert "neighbour Jo" not in json.dumps(row.body)


def test_log_lines_carry_allowed_ids_only() -> None:
    import logging

    from haven.logging import JsonFormatter

    record = logging.LogRecord("haven", logging.INFO, __file__, 1, "posts.accepted", None, None)
    record.__dict__.update(
        communities=["g"],
        decision_id="d-1",
        body=PRIVATE,
        secret="whsec_x",
        # Connection URLs carry passwords: no field of that name is written.
        database="postgresql://haven:pw@db/haven",
        broker="redis://:pw@redis:6379/0",
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["communities"] == ["g"]
    assert line["decision_id"] == "d-1"
    assert "body" not in line
    assert "secret" not in line
    assert "pw@" not in json.dumps(line)


def test_a_librarys_message_arguments_never_reach_the_log() -> None:
    import logging

    from haven.logging import JsonFormatter

    payload = {"body": {"posts": [{"body": PRIVATE}]}}
    record = logging.LogRecord(
        "kombu.transport.redis", logging.CRITICAL, __file__, 1, "Could not restore message: %r", (payload,), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "Could not restore message: %r"
    assert "neighbour" not in json.dumps(line)
