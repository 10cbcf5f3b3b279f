"""The tables: SQLAlchemy 2 declarative models, the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes, also on SQLite (which forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; Haven stores UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community: Mapped[str] = mapped_column(String(200), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_community_decided", "community", "decided_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(500))
    revision: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[str] = mapped_column(String(500))
    verdict: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    policy_version: Mapped[str] = mapped_column(String(100))
    # The Decision as msgspec builtins: matches with evidence snippets, actions, timings.
    body: Mapped[dict[str, Any]]
    # The post's title and body, only when HAVEN_STORE_POST_TEXT is on.
    post_text: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime]
    decided_at: Mapped[datetime] = mapped_column(index=True)


class DecisionCategoryRow(Base):
    __tablename__ = "decision_categories"

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    community: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    moderator: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class SubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]]
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class DeliveryRow(Base):
    __tablename__ = "webhook_deliveries"

    # Also the `webhook-id` header: the same on every attempt, so receivers dedupe.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    community: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(50))
    # The decision the event is about, for its history (None for rows stored before it was kept).
    decision_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The exact bytes signed and sent, as text, so every attempt sends the same body.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ingested_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    # When the next attempt is due, kept here so that the sweeper sends it whatever became
    # of the task that scheduled it; None once delivered or failed.
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)


class AttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int]
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[float]


class PlatformActionRow(Base):
    """One neutral action of a decision, carried out on the post's platform by its plugin."""

    __tablename__ = "platform_actions"

    # decision id + action kind + template/name: the idempotency key of the action.
    id: Mapped[str] = mapped_column(String(400), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    community: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(50))
    # pending, done, unsupported, failed, skipped, cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    platform_ref: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlatformActionAttemptRow(Base):
    __tablename__ = "platform_action_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("platform_actions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int]
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500), default="")


class PendingPostRow(Base):
    """A post accepted and not decided yet (its text included), written before the API
    answers 202 and deleted in the transaction that stores its decision: whatever happens
    to its task, the sweeper (or an embedded restart) finds it here and queues it again."""

    __tablename__ = "pending_posts"

    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community: Mapped[str] = mapped_column(String(200), default="")
    queue: Mapped[str] = mapped_column(String(20))
    post: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    # pending, or parked: every attempt failed and it waits for an operator's retry.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Why it is parked: an exception's type, never the post's text.
    reason: Mapped[str | None] = mapped_column(String(500))
    # Past this, a pending post is taken for lost and queued again by the sweeper.
    due_at: Mapped[datetime | None] = mapped_column(index=True)


class EscalationRow(Base):
    """An escalation waiting for a moderator's acknowledgement, and its reminder timer.

    The timer lives here, not in a process, so a restart of the scheduler (or, embedded,
    of the API) picks it up where it was."""

    __tablename__ = "escalations"

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    community: Mapped[str] = mapped_column(String(200), index=True)
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # When each reminder went out (ISO 8601, oldest first), for the decision's history.
    reminded_at: Mapped[list[str] | None]
    # When the next reminder (after the last one: escalation.unacknowledged) is due; None once
    # acknowledged or once the on-call list was told.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    unacknowledged_at: Mapped[datetime | None]


class QueueItemRow(Base):
    """A decision waiting for a person, and who has claimed it until when."""

    __tablename__ = "queue_items"
    __table_args__ = (Index("ix_queue_items_open", "community", "reviewed_at"),)

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    community: Mapped[str] = mapped_column(String(200))
    crisis: Mapped[bool]
    # SEVERITY_RANK of the most severe enforced match: 3 critical … 0 low.
    severity: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]


class ModeratorStreakRow(Base):
    """How many crisis items in a row a moderator has claimed (exposure to crisis content)."""

    __tablename__ = "moderator_streaks"

    community: Mapped[str] = mapped_column(String(200), primary_key=True)
    moderator: Mapped[str] = mapped_column(String(200), primary_key=True)
    crisis_in_row: Mapped[int] = mapped_column(Integer, default=0)


class PolicyVersionRow(Base):
    """One version of a community's policy layer as uploaded through the API: every document
    of the layer at that version, so activating an older version restores it exactly."""

    __tablename__ = "policy_versions"

    community: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Document key ("policy-id", or "channels/<channel>/policy-id") -> its YAML text.
    documents: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    author_key: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class PolicyStateRow(Base):
    """Which version of a community's layer acts, and which one is judged beside it in shadow."""

    __tablename__ = "policy_state"

    community: Mapped[str] = mapped_column(String(200), primary_key=True)
    active_version: Mapped[int | None]
    candidate_version: Mapped[int | None]
    updated_at: Mapped[datetime]


class CandidateDecisionRow(Base):
    """What a candidate version would have decided on a post the active version decided."""

    __tablename__ = "candidate_decisions"
    __table_args__ = (Index("ix_candidate_decisions_version", "community", "version"),)

    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    community: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime] = mapped_column(index=True)


class IdentitySecretRow(Base):
    """A community's secret for the keyed hashes of its protected identities."""

    __tablename__ = "identity_secrets"

    community: Mapped[str] = mapped_column(String(200), primary_key=True)
    # 32 random bytes, hex.
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ProtectedIdentityRow(Base):
    """One registration: the keyed hashes of a member's names, never the names."""

    __tablename__ = "protected_identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community: Mapped[str] = mapped_column(String(200), index=True)
    # The member whose names these are (their author id on the platform), when given.
    member: Mapped[str | None] = mapped_column(String(500))
    # HMAC-SHA256 (hex) of each folded name, and of each name's first word, in the same order.
    digests: Mapped[list[str]]
    heads: Mapped[list[str]]
    created_at: Mapped[datetime]
