"""Sending one webhook delivery attempt, recording it, and deciding whether to retry."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx

from haven import metrics
from haven.store.repository import Store
from haven.webhooks.destinations import destination_refusal
from haven.webhooks.signing import signed_headers

log = logging.getLogger("haven.webhooks")

Outcome = Literal["delivered", "retry", "failed", "skipped"]
MAX_BACKOFF_SECONDS = 1800.0


def backoff_seconds(attempt: int, base: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Delay before attempt `attempt + 1`: base, 3×base, 9×base …, at most `cap` (30 minutes)."""
    return float(min(base * 3 ** (attempt - 1), cap, MAX_BACKOFF_SECONDS))


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    attempt: int
    # Seconds until the next attempt is due (stored with the delivery) when `outcome` is retry.
    retry_in: float = 0.0


def attempt_delivery(
    store: Store,
    client: httpx.Client,
    delivery_id: str,
    *,
    max_attempts: int,
    allow_private: bool = True,
    retry_base_seconds: float = 5.0,
    retry_cap_seconds: float = MAX_BACKOFF_SECONDS,
) -> AttemptResult:
    """Send the delivery once; every attempt is recorded, and when the next one is due.
    Idempotent once delivered."""
    delivery = store.get_delivery(delivery_id)
    if delivery is None or delivery.status != "pending":
        return AttemptResult("skipped", delivery.attempts if delivery else 0)
    attempt = delivery.attempts + 1
    body = delivery.payload.encode()
    headers = signed_headers(delivery.subscription.secret, delivery.id, int(time.time()), body)
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    refused = destination_refusal(delivery.subscription.url, allow_private=allow_private)
    try:
        if refused is not None:
            raise _Refused(refused)
        response = client.post(delivery.subscription.url, content=body, headers=headers)
        status_code = response.status_code
        ok = 200 <= status_code < 300
        if not ok:
            error = f"receiver answered {status_code}"
    except httpx.HTTPError as exc:
        ok = False
        error = type(exc).__name__
    except _Refused as exc:
        ok = False
        error = f"refused: {exc}"
    except Exception as exc:
        # Anything else (a URL httpx cannot encode, a bug) is a failed attempt too, recorded
        # and retried on the same bounded schedule, never a task that fails and loops.
        ok = False
        error = type(exc).__name__
    duration_ms = (time.perf_counter() - started) * 1000
    # A refused destination is final: no retry changes where the URL points.
    retry = attempt < max_attempts and refused is None
    outcome: Outcome = "delivered" if ok else ("retry" if retry else "failed")
    retry_in = backoff_seconds(attempt, retry_base_seconds, retry_cap_seconds) if outcome == "retry" else 0.0
    store.record_attempt(
        delivery.id,
        attempt=attempt,
        outcome=outcome,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        final=outcome != "retry",
        next_attempt_at=datetime.now(UTC) + timedelta(seconds=retry_in),
    )
    metrics.WEBHOOK_DELIVERIES.labels(event_type=delivery.event_type, outcome=outcome).inc()
    if ok and delivery.event_type == "escalation.created" and delivery.ingested_at is not None:
        elapsed = (datetime.now(UTC) - delivery.ingested_at).total_seconds()
        metrics.INGEST_TO_ESCALATION_DELIVERED.observe(elapsed)
    log.info(
        "webhook.attempt",
        extra={
            "delivery_id": delivery.id,
            "subscription_id": delivery.subscription.id,
            "event_type": delivery.event_type,
            "attempt": attempt,
            "outcome": outcome,
            "status_code": status_code,
            "duration_ms": round(duration_ms, 2),
        },
    )
    return AttemptResult(outcome, attempt, retry_in)
