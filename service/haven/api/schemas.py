"""What the HTTP API reads and writes, apart from the endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from haven.domain import Decision, Post
from haven.store.records import EventType, HeldPost, Review, ReviewOutcome

MAX_BATCH = 100


class Accepted(msgspec.Struct, kw_only=True):
    """A post taken in: its decision's id and where to read it."""

    id: str
    url: str
    status: Literal["queued", "duplicate"]
    queue: Literal["crisis", "default"] | None = None


class PostBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    posts: Annotated[list[Post], Meta(min_length=1, max_length=MAX_BATCH)]


class BatchAccepted(msgspec.Struct, kw_only=True):
    items: list[Accepted]


class DecisionResource(msgspec.Struct, kw_only=True):
    """A decision, `pending` while its post waits in the queue, or `failed` while it is
    parked after every attempt at it failed (`reason` says why)."""

    id: str
    url: str
    status: Literal["pending", "decided", "failed"]
    decision: Decision | None = None
    reviews: list[Review] = msgspec.field(default_factory=list)
    reason: str | None = None


class ParkedList(msgspec.Struct, kw_only=True):
    """Posts of the key's community parked after every attempt failed, oldest first."""

    items: list[HeldPost]


class DecisionList(msgspec.Struct, kw_only=True):
    items: list[Decision]
    next_cursor: str | None = None


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: ReviewOutcome
    moderator: Annotated[str, Meta(min_length=1, max_length=200)]
    note: Annotated[str, Meta(max_length=5000)] = ""


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, Meta(max_length=2000, pattern=r"^https?://[^\s]+$")]
    event_types: Annotated[list[EventType], Meta(min_length=1)]


class SubscriptionOut(msgspec.Struct, kw_only=True):
    id: str
    url: str
    event_types: list[str]
    created_at: datetime


class SubscriptionCreated(SubscriptionOut, kw_only=True):
    """The subscription and its signing secret, shown this once."""

    secret: str


class ProtectedIdentityIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Names and handles a member must not be linked to: a real name, other accounts."""

    names: Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(min_length=1, max_length=20)]
    # The member's author id on the platform: their own posts may use these names.
    member: Annotated[str, Meta(min_length=1, max_length=500)] | None = None


class ProtectedIdentityOut(msgspec.Struct, kw_only=True):
    """A registration without its names, which Haven does not keep."""

    id: str
    member: str | None
    names: int
    created_at: datetime
    # The enforced rules that hold a post naming one of them; empty means none would.
    matched_by: list[str]


class Status(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: str
    mode: Literal["embedded", "full"] | None = None
    policy_version: str | None = None
    # Installed plugins that are off (name -> why, e.g. a missing HAVEN_SLACK_* variable).
    plugins_off: dict[str, str] | None = None
    plugins_on: list[str] | None = None
