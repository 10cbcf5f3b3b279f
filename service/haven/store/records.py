"""What the store hands back: plain Structs, independent of the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from haven.domain import Decision

Scope = Literal["ingest", "read", "review", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
ReviewOutcome = Literal["upheld", "overturned"]
EventType = Literal[
    "decision.created",
    "escalation.created",
    "escalation.acknowledged",
    "escalation.reminder",
    "escalation.unacknowledged",
    "conversation.flagged",
    "review.recorded",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class ApiKey(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    community: str
    prefix: str
    scopes: tuple[str, ...]


class Review(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    decision_id: str
    outcome: ReviewOutcome
    moderator: str
    note: str
    created_at: datetime


class StoredDecision(msgspec.Struct, kw_only=True):
    decision: Decision
    reviews: list[Review] = msgspec.field(default_factory=list)


class DecisionPage(msgspec.Struct, kw_only=True):
    items: list[Decision]
    next_cursor: str | None


class Subscription(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    community: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: datetime


class Delivery(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    subscription: Subscription
    event_type: str
    payload: str
    status: str
    attempts: int
    ingested_at: datetime | None
    created_at: datetime


class Attempt(msgspec.Struct, kw_only=True, frozen=True):
    attempt: int
    at: datetime
    outcome: str
    status_code: int | None
    error: str | None


class DeliveryReport(msgspec.Struct, kw_only=True, frozen=True):
    """A delivery as an operator sees it: what was sent when, and how each attempt went."""

    id: str
    event_type: str
    status: str
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[Attempt]


class NewDelivery(msgspec.Struct, kw_only=True, frozen=True):
    """An event for one subscriber, before it is stored; its id makes storing it idempotent."""

    id: str
    subscription_id: str
    community: str
    event_type: str
    payload: str
    ingested_at: datetime | None


class HeldPost(msgspec.Struct, kw_only=True, frozen=True):
    """An accepted post not decided yet, as an operator sees it: ids only, never its text."""

    id: str
    community: str
    platform: str
    external_id: str
    revision: str
    queue: str
    received_at: datetime
    status: Literal["pending", "parked"]
    attempts: int
    reason: str | None
    due_at: datetime | None


class PurgeCounts(msgspec.Struct, kw_only=True):
    decisions: int
    deliveries: int


class ProtectedIdentity(msgspec.Struct, kw_only=True, frozen=True):
    """A registration as the API shows it: how many names, never which."""

    id: str
    member: str | None
    names: int
    created_at: datetime
