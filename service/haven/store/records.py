"""What the store hands back: plain Structs, independent of the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

import msgspec
from msgspec import Meta

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
    id: Annotated[str, Meta(description="The review's id.", examples=["5b0e1c7a-2f3d-4e6b-8a9c-0d1e2f3a4b5c"])]
    decision_id: Annotated[
        str,
        Meta(description="The decision reviewed.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    outcome: Annotated[
        ReviewOutcome,
        Meta(
            description="upheld: the decision was right; overturned: it was wrong, undone where the platform allows.",
            examples=["overturned"],
        ),
    ]
    moderator: Annotated[str, Meta(description="Who reviewed it (a name or id of your own).", examples=["mod-alex"])]
    note: Annotated[
        str,
        Meta(description="The moderator's note.", examples=["Quoting a news article, not their own words."]),
    ]
    created_at: Annotated[
        datetime,
        Meta(description="When the review was recorded.", examples=["2026-01-05T10:02:00Z"]),
    ]


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
    attempt: Annotated[int, Meta(description="The attempt's number, from 1.", examples=[1])]
    at: Annotated[datetime, Meta(description="When it was made.", examples=["2026-01-05T09:30:02Z"])]
    outcome: Annotated[str, Meta(description="delivered, retry or failed.", examples=["delivered"])]
    status_code: Annotated[
        int | None,
        Meta(description="The subscriber's HTTP status, when it answered.", examples=[200]),
    ]
    error: Annotated[str | None, Meta(description="Why the attempt failed, when it did.", examples=["timeout"])]


class DeliveryReport(msgspec.Struct, kw_only=True, frozen=True):
    """A delivery as an operator sees it: what was sent when, and how each attempt went."""

    id: Annotated[str, Meta(description="The delivery's id, also its webhook-id header.", examples=["msg_2b9f0c1d"])]
    event_type: Annotated[str, Meta(description="The event sent.", examples=["escalation.created"])]
    status: Annotated[str, Meta(description="pending, delivered or failed.", examples=["delivered"])]
    created_at: Annotated[
        datetime,
        Meta(description="When the event was stored for sending.", examples=["2026-01-05T09:30:01Z"]),
    ]
    delivered_at: Annotated[
        datetime | None,
        Meta(description="When the subscriber accepted it.", examples=["2026-01-05T09:30:02Z"]),
    ]
    attempts: Annotated[list[Attempt], Meta(description="Every attempt, oldest first.")]


class NewDelivery(msgspec.Struct, kw_only=True, frozen=True):
    """An event for one subscriber, before it is stored; its id makes storing it idempotent."""

    id: str
    subscription_id: str
    community: str
    event_type: str
    payload: str
    ingested_at: datetime | None
    # The decision the event is about (its history lists the delivery).
    decision_id: str | None = None


class HeldPost(msgspec.Struct, kw_only=True, frozen=True):
    """An accepted post not decided yet, as an operator sees it: ids only, never its text."""

    id: Annotated[str, Meta(description="The decision's id.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"])]
    community: Annotated[str, Meta(description="Its community.", examples=["chronic-pain-support"])]
    platform: Annotated[str, Meta(description="Where the post was written.", examples=["api"])]
    external_id: Annotated[str, Meta(description="The post's id on its platform.", examples=["t3_1abcde"])]
    revision: Annotated[str, Meta(description="Which edit of the post.", examples=["1"])]
    queue: Annotated[str, Meta(description="The queue it waits in: crisis or default.", examples=["default"])]
    received_at: Annotated[datetime, Meta(description="When the API accepted it.", examples=["2026-01-05T09:30:01Z"])]
    status: Annotated[
        Literal["pending", "parked"],
        Meta(description="pending (waiting to be decided) or parked (every attempt failed).", examples=["parked"]),
    ]
    attempts: Annotated[int, Meta(description="Attempts at deciding it so far.", examples=[5])]
    reason: Annotated[
        str | None,
        Meta(
            description="Why the last attempt failed: an error's type, never the post's text.",
            examples=["OperationalError"],
        ),
    ]
    due_at: Annotated[
        datetime | None,
        Meta(description="When the sweeper queues it again if it is still pending.", examples=["2026-01-05T09:35:01Z"]),
    ]


class PurgeCounts(msgspec.Struct, kw_only=True):
    decisions: int
    deliveries: int
    candidates: int = 0  # what candidate policy versions would have decided (shadow runs)


class PolicyVersion(msgspec.Struct, kw_only=True, frozen=True):
    """One version of a community's policy layer as uploaded through the API."""

    community: str
    version: int
    status: Literal["active", "candidate", "inactive"]
    content_hash: str
    author_key: str | None
    message: str
    created_at: datetime
    # Document key ("policy-id", or "channels/<channel>/policy-id") -> its YAML text.
    documents: dict[str, str]


class ProtectedIdentity(msgspec.Struct, kw_only=True, frozen=True):
    """A registration as the API shows it: how many names, never which."""

    id: str
    member: str | None
    names: int
    created_at: datetime
