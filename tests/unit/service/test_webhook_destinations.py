"""Webhooks never go to cloud metadata services, link-local or non-standard addresses,
and to loopback or private ones only when the operator allows it; a delivery connects
to the address it checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from haven.store.migrate import upgrade
from haven.store.records import NewDelivery
from haven.store.sql import SqlStore
from haven.webhooks.delivery import attempt_delivery
from haven.webhooks.destinations import DestinationRefused, resolve_destination, subscription_refusal
from litestar.testing import TestClient

from tests.integration.harness import free_port, webhook_receiver

ALWAYS_REFUSED = [
    "http://169.254.169.254/latest",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://192.0.0.192/",
    "http://169.254.170.2/v2/credentials",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./",
    "http://[::ffff:169.254.169.254]/",
    # Numeric IPv4 forms a resolver accepts (all of them 127.0.0.1 or 0.0.0.0).
    "http://2130706433/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://127.1/",
    "http://0/",
    # Host names that cannot be encoded.
    f"http://{'a' * 64}.example.org/",
    f"http://{'0' * 2000}/",
    "http://a..b/",
    "http://[::1/hook",
    "http://[not-an-address]/hook",
]
PRIVATE = ["http://127.0.0.1:9/hook", "http://[::1]:9/hook", "http://[::ffff:127.0.0.1]:9/", "http://10.0.0.5/hook"]


@pytest.mark.parametrize("url", ALWAYS_REFUSED)
def test_metadata_non_standard_and_unencodable_hosts_are_refused_whatever_the_setting(url: str) -> None:
    for allow in (True, False):
        assert subscription_refusal(url, allow_private=allow), url
        with pytest.raises(DestinationRefused):
            resolve_destination(url, allow_private=allow)


@pytest.mark.parametrize("url", PRIVATE)
def test_loopback_and_private_addresses_are_refused_unless_allowed(url: str) -> None:
    assert subscription_refusal(url, allow_private=False)
    assert subscription_refusal(url, allow_private=True) is None


def test_every_address_a_name_resolves_to_is_checked_at_delivery() -> None:
    with pytest.raises(DestinationRefused, match="loopback or private"):
        resolve_destination("http://localhost:9/hook", allow_private=False)
    assert resolve_destination("http://localhost:9/hook", allow_private=True).address in ("127.0.0.1", "::1")
    assert subscription_refusal("https://hooks.example.org/haven", allow_private=False) is None


def _subscribe(client: TestClient, url: str) -> Any:  # type: ignore[type-arg]
    store = client.app.state["services"].store
    secret, _ = store.create_api_key("group", ["admin"])
    return client.post(
        "/v1/webhooks",
        json={"url": url, "event_types": ["decision.created"]},
        headers={"authorization": f"Bearer {secret}"},
    )


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://[::1/hook", "http://2130706433/", "http://127.0.0.1:9/"]
)
def test_subscribing_a_refused_url_is_a_422_naming_the_field(client: TestClient, url: str) -> None:  # type: ignore[type-arg]
    refused = _subscribe(client, url)
    assert refused.status_code == 422, refused.text
    assert refused.json()["pointer"] == "/url"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = SqlStore.from_url(f"sqlite:///{tmp_path / 'h.db'}")
    upgrade(opened.engine)
    yield opened
    opened.dispose()


def _delivery_to(store: SqlStore, url: str) -> str:
    subscription = store.create_subscription("group", url, ["decision.created"])
    delivery = NewDelivery(
        id="msg_1",
        subscription_id=subscription.id,
        community="group",
        event_type="decision.created",
        payload='{"type":"decision.created"}',
        ingested_at=None,
    )
    store.add_deliveries([delivery])
    return delivery.id


def test_a_delivery_goes_to_the_checked_address_and_keeps_the_name_in_the_host_header(store: SqlStore) -> None:
    with webhook_receiver() as receiver, httpx.Client(timeout=5) as client:
        port = receiver.server.server_address[1]
        delivery_id = _delivery_to(store, f"http://localhost:{port}/hook")
        result = attempt_delivery(store, client, delivery_id, max_attempts=3, allow_private=True)
        assert result.outcome == "delivered"
        assert [r.headers["host"] for r in receiver.at("/hook")] == [f"localhost:{port}"]


def test_a_delivery_that_raises_anything_is_a_recorded_failed_attempt(store: SqlStore) -> None:
    # Stored before subscriptions were checked: today's httpx raises UnicodeError on it.
    delivery_id = _delivery_to(store, f"http://{'a' * 64}.example.org/hook")
    with httpx.Client(timeout=5) as client:
        result = attempt_delivery(store, client, delivery_id, max_attempts=3)
    assert result.outcome == "failed"
    [attempt] = store.delivery_attempts(delivery_id)
    assert attempt.error is not None and attempt.error.startswith("refused: the host name cannot be encoded")


def test_failures_are_told_as_refused_or_timeout_without_more(store: SqlStore) -> None:
    closed = free_port()
    delivery_id = _delivery_to(store, f"http://127.0.0.1:{closed}/hook")
    with httpx.Client(timeout=5) as client:
        result = attempt_delivery(store, client, delivery_id, max_attempts=3, allow_private=True)
    assert result.outcome == "retry"
    [attempt] = store.delivery_attempts(delivery_id)
    assert attempt.error == "connect: the connection was refused or the host is unreachable"
