"""Outgoing webhooks: Standard Webhooks signing, events, deliveries with retries."""

from haven.webhooks.delivery import AttemptResult, attempt_delivery, backoff_seconds
from haven.webhooks.events import decision_events, deliveries_for, review_event
from haven.webhooks.signing import sign, signed_headers

__all__ = [
    "AttemptResult",
    "attempt_delivery",
    "backoff_seconds",
    "decision_events",
    "deliveries_for",
    "review_event",
    "sign",
    "signed_headers",
]
