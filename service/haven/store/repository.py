"""The storage interface the API, the workers and the CLI use; `SqlStore` implements it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from haven.domain import Decision, Post
from haven.policy.identities import ProtectedName
from haven.store.records import (
    ApiKey,
    Attempt,
    DecisionPage,
    Delivery,
    DeliveryReport,
    HeldPost,
    NewDelivery,
    PolicyVersion,
    ProtectedIdentity,
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
        *,
        settled: Sequence[str] = (),
        then: Callable[[Any], None] | None = None,
    ) -> list[str]:
        """Store decisions (with post text when given) and their webhook deliveries at once,
        and stop holding the posts `settled` (decided now or before) in the same transaction.
        `then` is called with that open transaction (a SQLAlchemy `Connection`) for other
        ledgers of the same database to write in it: one commit for all of it.

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

    # Posts accepted and not decided yet: held from before the 202 until their decision is stored
    def hold_pending(self, items: Sequence[tuple[Post, datetime, str]], *, due_at: datetime | None = None) -> None:
        """Keep (post, received at, queue) until decided; past `due_at` it is taken for lost
        and queued again. Idempotent (holding a post again only moves its deadline)."""
        ...

    def release_pending(self, decision_ids: Sequence[str]) -> None: ...

    def pending_posts(self) -> list[tuple[Post, datetime, str]]:
        """What is held and not parked, oldest first (to pick up after a restart)."""
        ...

    def held_posts(self, decision_ids: Sequence[str]) -> dict[str, HeldPost]: ...

    def overdue_posts(self, now: datetime, next_due: datetime, limit: int = 1000) -> list[tuple[Post, datetime, str]]:
        """Held posts past their deadline, each given `next_due` as its new one."""
        ...

    def park_post(self, decision_id: str, *, reason: str, attempts: int) -> bool:
        """Stop trying a post until an operator retries it; False when it is not held."""
        ...

    def parked_posts(self, community: str, limit: int = 100) -> list[HeldPost]: ...

    def unpark_post(self, community: str, decision_id: str, due_at: datetime) -> tuple[Post, datetime, str] | None:
        """A parked post of this community held as pending again (to queue it again)."""
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
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Every attempt is kept; `final` sets the delivery's status from `outcome`, else the
        next attempt is due at `next_attempt_at`."""
        ...

    def overdue_deliveries(self, now: datetime, next_due: datetime, limit: int = 1000) -> list[tuple[str, str]]:
        """(id, event type) of pending deliveries due at or before `now`, each due again at `next_due`."""
        ...

    def retry_delivery(self, community: str, subscription_id: str, delivery_id: str) -> str | None:
        """A failed delivery pending again for a new round of attempts; its event type, or None."""
        ...

    def delivery_attempts(self, delivery_id: str) -> list[Attempt]: ...

    def recent_deliveries(self, community: str, subscription_id: str, limit: int = 50) -> list[DeliveryReport]:
        """A subscription's latest deliveries, newest first, with every attempt."""
        ...

    def decision_deliveries(self, community: str, decision_id: str) -> list[DeliveryReport]:
        """The deliveries of events about one decision, oldest first, with every attempt."""
        ...

    # Protected identities
    def identity_secret(self, community: str) -> bytes:
        """The community's secret for keyed name hashes, made on first use."""
        ...

    def add_protected_identity(
        self, community: str, names: Sequence[ProtectedName], member: str | None
    ) -> ProtectedIdentity: ...

    def list_protected_identities(self, community: str) -> list[ProtectedIdentity]: ...

    def withdraw_protected_identity(self, community: str, registration_id: str) -> bool:
        """Delete a registration and its hashes; False when the community has no such one."""
        ...

    def protected_names(self, community: str) -> tuple[bytes, list[ProtectedName]] | None:
        """The community's secret and every protected name's hashes; None before any registration."""
        ...

    # Retention
    def purge(self, before: datetime) -> PurgeCounts: ...

    # Community policy versions (see store/policy_versions.py)
    def policy_heads(self) -> dict[str, tuple[int | None, int | None]]:
        """Every community's (active, candidate) version of its uploaded layer."""
        ...

    def policy_version(self, community: str, version: int) -> PolicyVersion | None: ...

    def policy_versions(self, community: str) -> list[PolicyVersion]:
        """Newest first."""
        ...

    def add_policy_version(
        self, community: str, documents: dict[str, str], *, author_key: str | None, message: str, candidate: bool
    ) -> PolicyVersion: ...

    def activate_policy_version(self, community: str, version: int) -> PolicyVersion | None: ...

    def record_candidate_decisions(self, items: Sequence[tuple[int, Decision]]) -> None: ...

    def candidate_decisions(self, community: str, version: int) -> Iterator[Decision]: ...
