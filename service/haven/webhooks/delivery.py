"""Sending one webhook delivery attempt, recording it, and deciding whether to retry."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx

from haven import metrics
from haven.store.repository import Store
from haven.webhooks.destinations import Destination, DestinationRefused, resolve_destination
from haven.webhooks.signing import signed_headers

log = logging.getLogger("haven.webhooks")

Outcome = Literal["delivered", "retry", "failed", "skipped"]
MAX_BACKOFF_SECONDS = 1800.0


def backoff_seconds(attempt: int, base: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Delay before attempt `attempt + 1`: base, 3×base, 9×base …, at most `cap` (30 minutes)."""
    return float(min(base * 3 ** (attempt - 1), cap, MAX_BACKOFF_SECONDS))


def post_to(client: httpx.Client, destination: Destination, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked address, not the name: the URL keeps its path and port, the
    Host header and (for https) the TLS server name and certificate check keep the name."""
    url = httpx.URL(destination.url)
    pinned = url.copy_with(host=destination.address)
    extensions = {"sni_hostname": destination.host} if url.scheme == "https" else {}
    response = client.post(
        pinned, content=body, headers={**headers, "host": url.netloc.decode("ascii")}, extensions=extensions
    )
    return response.status_code


def describe_failure(exc: BaseException) -> str:
    """What a subscriber needs to fix their receiver, and no more: a timeout, a TLS error,
    a connection that failed, a name that does not resolve. Addresses Haven may not reach
    are refused before any connection, so these never map another network's ports."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout: the receiver did not answer in time"
    if isinstance(exc, socket.gaierror):
        return "dns: the host name does not resolve"
    if isinstance(exc, httpx.ConnectError):
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLError):
                return "tls: the TLS handshake or certificate check failed"
            cause = cause.__cause__ or cause.__context__
        return "connect: the connection was refused or the host is unreachable"
    if isinstance(exc, httpx.HTTPError):
        return f"http: {type(exc).__name__}"
    return f"error: {type(exc).__name__}"


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
    task: str | None = None,
) -> AttemptResult:
    """Send the delivery once; every attempt is recorded, and when the next one is due.
    Idempotent once delivered. `task` names the worker task that sends it, for the log."""
    delivery = store.get_delivery(delivery_id)
    if delivery is None or delivery.status != "pending":
        return AttemptResult("skipped", delivery.attempts if delivery else 0)
    attempt = delivery.attempts + 1
    body = delivery.payload.encode()
    headers = signed_headers(delivery.subscription.secret, delivery.id, int(time.time()), body)
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    refused = False
    try:
        destination = resolve_destination(delivery.subscription.url, allow_private=allow_private)
        status_code = post_to(client, destination, body, headers)
        ok = 200 <= status_code < 300
        if not ok:
            error = f"receiver answered {status_code}"
    except DestinationRefused as exc:
        ok, refused = False, True
        error = f"refused: {exc}"
    except Exception as exc:
        # Anything (a timeout, a name that does not resolve, a URL that cannot be encoded,
        # a bug) is a failed attempt, recorded and retried on the bounded schedule.
        ok = False
        error = describe_failure(exc)
    duration_ms = (time.perf_counter() - started) * 1000
    # A refused destination is final: no retry changes where the URL points.
    retry = attempt < max_attempts and not refused
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
            **({"task": task} if task is not None else {}),
        },
    )
    return AttemptResult(outcome, attempt, retry_in)
