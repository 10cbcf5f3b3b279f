"""The storage interface the API, the workers and the CLI use; `SqlStore` implements it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from haven.domain import Decision, Post
from haven.store.records import (
    ApiKey,
    Attempt,
    DecisionPage,
    Delivery,
    DeliveryReport,
    NewDelivery,
    PurgeCounts,
    Review,
    StoredDecision,
    Subscription,
)


class Store(Protocol):
    def ping(self) -> None:
        """Raise when the database cannot be reached."""

    # API keys
    def create_api_key(self, community: str, scopes: Sequence[str]) -> tuple[str, ApiKey]:
        """A new key: the secret (shown once, stored hashed) and its record."""
        ...

    def find_api_key(self, secret: str) -> ApiKey | None: ...

    def revoke_api_key(self, prefix: str) -> int:
        """Revoke the keys starting with `prefix` (as printed at creation); how many."""
        ...

    # Decisions
    def record_decisions(
        self,
        decisions: Sequence[tuple[Decision, dict[str, Any] | None]],
        deliveries: Sequence[NewDelivery],
    ) -> list[str]:
        """Store decisions (with post text when given) and their webhook deliveries at once.

        Idempotent: what already exists is left alone. Returns the ids of the given
        deliveries that are still pending, so a re-run task sends what a dead one did not.
        """
        ...

    def decided_ids(self, ids: Sequence[str]) -> set[str]: ...

    def get_decision(self, community: str, decision_id: str) -> StoredDecision | None: ...

    def get_decisions(self, decision_ids: Sequence[str]) -> list[Decision]:
        """The stored decisions among these ids, of any community (for the workers)."""
        ...

    def list_decisions(
        self,
        community: str,
        *,
        verdict: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> DecisionPage: ...

    # Posts the embedded runner holds in memory, kept here until decided
    def hold_pending(self, items: Sequence[tuple[Post, datetime, str]]) -> None:
        """Keep (post, received at, queue) until `release_pending`; idempotent."""
        ...

    def release_pending(self, decision_ids: Sequence[str]) -> None: ...

    def pending_posts(self) -> list[tuple[Post, datetime, str]]:
        """What was held and not released, oldest first (to pick up after a restart)."""
        ...

    # Reviews
    def add_review(self, community: str, decision_id: str, outcome: str, moderator: str, note: str) -> Review | None:
        """None when the community has no such decision."""
        ...

    # Webhooks
    def create_subscription(self, community: str, url: str, event_types: Sequence[str]) -> Subscription: ...

    def list_subscriptions(self, community: str) -> list[Subscription]: ...

    def get_subscription(self, community: str, subscription_id: str) -> Subscription | None: ...

    def delete_subscription(self, community: str, subscription_id: str) -> bool: ...

    def add_deliveries(self, deliveries: Sequence[NewDelivery]) -> list[str]:
        """Store deliveries idempotently; returns the ids still pending."""
        ...

    def get_delivery(self, delivery_id: str) -> Delivery | None: ...

    def record_attempt(
        self,
        delivery_id: str,
        *,
        attempt: int,
        outcome: str,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        final: bool,
    ) -> None:
        """Every attempt is kept; `final` sets the delivery's status from `outcome`."""
        ...

    def delivery_attempts(self, delivery_id: str) -> list[Attempt]: ...

    def recent_deliveries(self, community: str, subscription_id: str, limit: int = 50) -> list[DeliveryReport]:
        """A subscription's latest deliveries, newest first, with every attempt."""
        ...

    # Retention
    def purge(self, before: datetime) -> PurgeCounts: ...
