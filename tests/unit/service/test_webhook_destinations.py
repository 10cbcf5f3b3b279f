"""Webhooks never go to link-local addresses (cloud metadata), and to private ones only
when the operator allows it."""

from __future__ import annotations

from typing import Any

from haven.webhooks.destinations import destination_refusal, literal_refusal
from litestar.testing import TestClient


def test_the_metadata_address_is_refused_whatever_the_setting() -> None:
    for allow in (True, False):
        assert literal_refusal("http://169.254.169.254/latest", allow_private=allow)
        assert destination_refusal("http://169.254.169.254/latest", allow_private=allow)


def test_loopback_and_private_addresses_follow_the_setting() -> None:
    assert destination_refusal("http://127.0.0.1:9/hook", allow_private=True) is None
    assert destination_refusal("http://localhost:9/hook", allow_private=False)
    assert literal_refusal("http://10.0.0.5/hook", allow_private=False)
    assert literal_refusal("http://10.0.0.5/hook", allow_private=True) is None


def test_host_names_are_checked_only_when_delivering() -> None:
    assert literal_refusal("https://hooks.example.org/haven", allow_private=False) is None


def _subscribe(client: TestClient, url: str) -> Any:  # type: ignore[type-arg]
    store = client.app.state["services"].store
    secret, _ = store.create_api_key("group", ["admin"])
    return client.post(
        "/v1/webhooks",
        json={"url": url, "event_types": ["decision.created"]},
        headers={"authorization": f"Bearer {secret}"},
    )


def test_subscribing_a_link_local_url_is_refused_with_422(client: TestClient) -> None:  # type: ignore[type-arg]
    refused = _subscribe(client, "http://169.254.169.254/")
    assert refused.status_code == 422
    assert refused.json()["pointer"] == "/url"


def test_a_url_whose_host_does_not_parse_is_refused_not_raised() -> None:
    for url in ("http://[::1/hook", "http://[not-an-address]/hook"):
        assert literal_refusal(url, allow_private=True)
        assert destination_refusal(url, allow_private=True)


def test_subscribing_an_unparsable_url_is_refused_with_422(client: TestClient) -> None:  # type: ignore[type-arg]
    refused = _subscribe(client, "http://[::1/hook")
    assert refused.status_code == 422, refused.text
    assert refused.json()["pointer"] == "/url"
