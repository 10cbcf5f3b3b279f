"""Haven's webhook signatures verify with the Standard Webhooks reference library."""

from __future__ import annotations

import time

import pytest
from haven.store.sql import new_webhook_secret
from haven.webhooks import backoff_seconds, signed_headers
from standardwebhooks import Webhook, WebhookVerificationError


def test_signature_verifies_with_standardwebhooks() -> None:
    secret = new_webhook_secret()
    body = b'{"type":"decision.created","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    headers = signed_headers(secret, "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers)["type"] == "decision.created"


def test_a_tampered_body_does_not_verify() -> None:
    secret = new_webhook_secret()
    headers = signed_headers(secret, "msg_1", int(time.time()), b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)


def test_another_secret_does_not_verify() -> None:
    headers = signed_headers(new_webhook_secret(), "msg_1", int(time.time()), b"{}")
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(b"{}", headers)


def test_retries_back_off_three_times_longer_each_time_up_to_half_an_hour() -> None:
    assert [backoff_seconds(n, 5) for n in (1, 2, 3)] == [5, 15, 45]
    assert backoff_seconds(20, 5) == 1800


def test_retry_delays_stay_under_the_cap_given_by_the_visibility_timeout() -> None:
    assert [backoff_seconds(n, 5, cap=300) for n in (4, 5, 9)] == [135, 300, 300]
