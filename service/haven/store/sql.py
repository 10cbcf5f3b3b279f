"""`Store` on SQLAlchemy 2: PostgreSQL in production, a SQLite file when embedded."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import msgspec
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Row, make_url
from sqlalchemy.orm import InstrumentedAttribute, Session

from haven.coalesce import Coalesced
from haven.config import DatabaseSettings
from haven.domain import Decision, Post
from haven.policy.identities import ProtectedName
from haven.queues import DEFAULT_QUEUE, QUEUES
from haven.store.models import (
    ApiKeyRow,
    AttemptRow,
    CandidateDecisionRow,
    DecisionCategoryRow,
    DecisionRow,
    DeliveryRow,
    IdentitySecretRow,
    PendingPostRow,
    ProtectedIdentityRow,
    ReviewRow,
    SubscriptionRow,
)
from haven.store.policy_versions import PolicyVersionsSql
from haven.store.records import (
    ApiKey,
    Attempt,
    DecisionPage,
    Delivery,
    DeliveryReport,
    HeldPost,
    NewDelivery,
    ProtectedIdentity,
    PurgeCounts,
    Review,
    StoredDecision,
    Subscription,
)
from haven.store.transactions import Transactions

KEY_PREFIX = "hvn_"
_DECISIONS = cast(Table, DecisionRow.__table__)
_DELIVERIES = cast(Table, DeliveryRow.__table__)
_ATTEMPTS = cast(Table, AttemptRow.__table__)
_PENDING = cast(Table, PendingPostRow.__table__)
_IDENTITY_SECRETS = cast(Table, IdentitySecretRow.__table__)
_SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
# Every delivery's path reads the delivery with its subscriber and records each attempt:
# statements built once, table rows rather than ORM objects (bench/deliveries.py).
_DELIVERY_WITH_SUBSCRIBER = (
    select(
        _DELIVERIES.c.id.label("delivery_id"), _DELIVERIES.c.event_type, _DELIVERIES.c.payload,
        _DELIVERIES.c.status, _DELIVERIES.c.attempts, _DELIVERIES.c.ingested_at,
        _DELIVERIES.c.created_at.label("delivery_created_at"),
        # The subscriber's columns under their own names: `_subscription` reads the row.
        _SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.community, _SUBSCRIPTIONS.c.url, _SUBSCRIPTIONS.c.event_types,
        _SUBSCRIPTIONS.c.secret, _SUBSCRIPTIONS.c.created_at,
    )
    .join_from(_DELIVERIES, _SUBSCRIPTIONS, _SUBSCRIPTIONS.c.id == _DELIVERIES.c.subscription_id)
    .where(_DELIVERIES.c.id == bindparam("delivery"), _SUBSCRIPTIONS.c.deleted_at.is_(None))
)  # fmt: skip
_ATTEMPT = insert(_ATTEMPTS)
# The columns set are the parameters given besides the id: its attempts and next attempt,
# and once final its status (and when delivered).
_ATTEMPT_RECORDED = update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("delivery"))


def hash_key(secret: str) -> str:
    # Keys are 32 random bytes: a plain digest is enough, no slow hash needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def make_engine(url: str, *, prepared_statements: bool = True) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            # The embedded database lives in a per-user data folder that may not exist yet. When
            # the folder cannot be made, connecting fails and says so (haven.cli.startup_failures).
            with contextlib.suppress(OSError):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_json_text
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # No pre-ping: it costs a round trip per checkout; a dead connection fails the task,
    # which retries, and connections are recycled before servers drop idle ones. Prepared
    # statements save the server its parsing and planning of the hot path's statements
    # (bench/README.md, "PgBouncer"); a transaction-mode pooler cannot keep them.
    options = {} if prepared_statements else {"prepare_threshold": None}
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_recycle=300, connect_args=options, json_serializer=_json_text
    )


def _json_text(value: Any) -> str:
    """JSON columns' text: msgspec writes it several times faster than the standard library,
    which was 3% of a worker's time storing a batch's decisions (bench/README.md)."""
    return msgspec.json.encode(value).decode()


def _now() -> datetime:
    return datetime.now(UTC)


def _encode_cursor(decided_at: datetime, decision_id: str) -> str:
    raw = f"{decided_at.isoformat()}|{decision_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError for a cursor Haven did not hand out."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        at, decision_id = base64.urlsafe_b64decode(padded).decode().split("|", 1)
        return datetime.fromisoformat(at), decision_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor from this API") from exc


def _subscription(row: SubscriptionRow | Row[*tuple[Any, ...]]) -> Subscription:
    """A subscriber, from its ORM row or from a table row holding its columns by name."""
    return Subscription(
        id=row.id,
        community=row.community,
        url=row.url,
        event_types=tuple(row.event_types),
        secret=row.secret,
        created_at=row.created_at,
    )


_Owed = TypeVar("_Owed", PendingPostRow, DeliveryRow)


def _take_overdue(
    session: Session,
    model: type[_Owed],
    due: InstrumentedAttribute[datetime | None],
    now: datetime,
    next_due: datetime,
    limit: int,
) -> list[_Owed]:
    """Pending rows due at or before `now`, oldest first, each given `next_due`; rows another
    sweeper holds locked are skipped, so two never take the same work."""
    rows = list(
        session.scalars(
            select(model)
            .where(model.status == "pending", due <= now)
            .order_by(due)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        setattr(row, due.key, next_due)
    return rows


def _held(row: PendingPostRow) -> HeldPost:
    post = row.post
    return HeldPost(
        id=row.decision_id,
        community=row.community,
        platform=str(post.get("platform", "")),
        external_id=str(post.get("external_id", "")),
        revision=str(post.get("revision", "1")),
        queue=row.queue,
        received_at=row.received_at,
        status="parked" if row.status == "parked" else "pending",
        attempts=row.attempts,
        reason=row.reason,
        due_at=row.due_at,
    )


def _protected_identity(row: ProtectedIdentityRow) -> ProtectedIdentity:
    return ProtectedIdentity(id=row.id, member=row.member, names=len(row.digests), created_at=row.created_at)


def _review(row: ReviewRow) -> Review:
    return Review(
        id=row.id,
        decision_id=row.decision_id,
        outcome=row.outcome,  # type: ignore[arg-type]
        moderator=row.moderator,
        note=row.note,
        created_at=row.created_at,
    )


# Rows of a table that a retention purge deletes in one transaction: each transaction stays
# short however much a purge has to delete (bench/purge.py).
PURGE_CHUNK_ROWS = 5_000


class SqlStore(PolicyVersionsSql, Transactions):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # Single statements on the hot path, atomic alone: without BEGIN and COMMIT, each
        # a round trip of its own (bench/hold.py measures the difference).
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")
        # Built once: every post the API accepts is held with it, and building an upsert
        # (its `excluded` columns) costs more than sending it.
        hold = self._insert(_PENDING)
        # A post held again (re-sent after it was taken for lost) gets a new deadline;
        # a parked one stays parked until an operator retries it.
        self._hold = hold.on_conflict_do_update(
            index_elements=["decision_id"],
            set_={"due_at": hold.excluded.due_at},
            where=_PENDING.c.status == "pending",
        )
        # A lane of holds per queue: a crisis-prone post sent on its own must not wait for a
        # round of ordinary holds (batch requests' hundreds of rows under a backlog) to end and
        # then go in the next (bench/hold.py --beside-batches; bench/README.md, "A lane of holds
        # for crisis-prone posts").
        self._holds: dict[str, Coalesced[dict[str, Any]]] = {queue: Coalesced(self._write_holds) for queue in QUEUES}
        # The worker's statements for every task, built once: building a statement and its cache
        # key cost more CPU than sending it (bench/README.md, "A one-post task's statements"); the
        # inserts come from `_insert_ignoring_conflicts`. The ids go in as one parameter.
        self._decision_bodies = select(_DECISIONS.c.body).where(self._one_of(_DECISIONS.c.id))
        self._settle = delete(_PENDING).where(self._one_of(_PENDING.c.decision_id))
        self._pending_deliveries = select(_DELIVERIES.c.id).where(
            self._one_of(_DELIVERIES.c.id), _DELIVERIES.c.status == "pending"
        )

    @classmethod
    def from_url(cls, url: str, *, prepared_statements: bool = True) -> SqlStore:
        return cls(make_engine(url, prepared_statements=prepared_statements))

    @classmethod
    def from_settings(cls, database: DatabaseSettings) -> SqlStore:
        return cls.from_url(database.effective_url, prepared_statements=database.prepared_statements)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    # API keys

    def create_api_key(self, community: str, scopes: Sequence[str]) -> tuple[str, ApiKey]:
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=str(uuid.uuid4()),
            community=community,
            prefix=secret[:12],
            key_hash=hash_key(secret),
            scopes=sorted(set(scopes)),
            created_at=_now(),
            revoked_at=None,
        )
        with self._session() as session:
            session.add(row)
        return secret, ApiKey(id=row.id, community=community, prefix=row.prefix, scopes=tuple(row.scopes))

    def find_api_key(self, secret: str) -> ApiKey | None:
        with self._session() as session:
            row = session.scalar(
                select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(secret), ApiKeyRow.revoked_at.is_(None))
            )
            if row is None:
                return None
            return ApiKey(id=row.id, community=row.community, prefix=row.prefix, scopes=tuple(row.scopes))

    def revoke_api_key(self, prefix: str) -> int:
        with self._session() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.prefix == prefix[: len(KEY_PREFIX) + 8], ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # Decisions

    def record_decisions(
        self,
        decisions: Sequence[tuple[Decision, dict[str, Any] | None]],
        deliveries: Sequence[NewDelivery],
        *,
        settled: Sequence[str] = (),
        then: Callable[[Connection], None] | None = None,
    ) -> list[str]:
        if not decisions and not deliveries and not settled:
            return []
        with self._transaction() as connection:
            if settled:
                # In the same transaction as the decisions: a post is held or decided, never neither.
                connection.execute(self._settle, {"ids": list(settled)})
            if decisions:
                # executemany with one cached statement: SQLAlchemy batches the rows.
                connection.execute(
                    self._insert_ignoring_conflicts(_DECISIONS, "id"),
                    [self._decision_values(d, text) for d, text in decisions],
                )
                categories = [{"decision_id": d.id, "category": c} for d, _ in decisions for c in d.categories]
                self._insert_new(connection, DecisionCategoryRow, categories)
            pending = self._add_deliveries(connection, deliveries)
            if then is not None:
                then(connection)
            return pending

    @staticmethod
    def _decision_values(decision: Decision, post_text: dict[str, Any] | None) -> dict[str, Any]:
        timings = decision.timings
        decided_at = timings.decided_at or _now()
        return {
            "id": decision.id,
            "community": decision.post.community,
            "platform": decision.post.platform,
            "external_id": decision.post.external_id,
            "revision": decision.post.revision,
            "author_id": decision.post.author_id,
            "verdict": decision.verdict,
            "mode": decision.mode,
            "policy_version": decision.policy_version,
            "body": msgspec.to_builtins(decision),
            "post_text": post_text,
            "received_at": timings.received_at or decided_at,
            "decided_at": decided_at,
        }

    def decided_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        with self._single.connect() as connection:
            return set(connection.scalars(select(DecisionRow.id).where(DecisionRow.id.in_(ids))))

    def get_decisions(self, decision_ids: Sequence[str]) -> list[Decision]:
        if not decision_ids:
            return []
        with self._single.connect() as connection:
            bodies = connection.scalars(self._decision_bodies, {"ids": list(decision_ids)})
            return [msgspec.convert(body, Decision) for body in bodies]

    def get_decision(self, community: str, decision_id: str) -> StoredDecision | None:
        with self._session() as session:
            row = session.scalar(
                select(DecisionRow).where(DecisionRow.id == decision_id, DecisionRow.community == community)
            )
            if row is None:
                return None
            reviews = session.scalars(
                select(ReviewRow).where(ReviewRow.decision_id == decision_id).order_by(ReviewRow.created_at)
            )
            return StoredDecision(
                decision=msgspec.convert(row.body, Decision),
                reviews=[_review(r) for r in reviews],
            )

    def list_decisions(
        self,
        community: str,
        *,
        verdict: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> DecisionPage:
        query = select(DecisionRow.body, DecisionRow.decided_at, DecisionRow.id).where(
            DecisionRow.community == community
        )
        if verdict is not None:
            query = query.where(DecisionRow.verdict == verdict)
        if since is not None:
            query = query.where(DecisionRow.decided_at >= since)
        if category is not None:
            matching = select(DecisionCategoryRow.decision_id).where(
                or_(
                    DecisionCategoryRow.category == category,
                    DecisionCategoryRow.category.startswith(category + ".", autoescape=True),
                )
            )
            query = query.where(DecisionRow.id.in_(matching))
        if cursor is not None:
            at, last_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    DecisionRow.decided_at < at,
                    and_(DecisionRow.decided_at == at, DecisionRow.id < last_id),
                )
            )
        query = query.order_by(DecisionRow.decided_at.desc(), DecisionRow.id.desc()).limit(limit + 1)
        with self._session() as session:
            rows = session.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return DecisionPage(
            items=[msgspec.convert(r.body, Decision) for r in rows],
            next_cursor=_encode_cursor(rows[-1].decided_at, rows[-1].id) if more else None,
        )

    # Posts accepted and not decided yet

    def hold_pending(self, items: Sequence[tuple[Post, datetime, str]], *, due_at: datetime | None = None) -> None:
        """Hold the posts until they are decided (the sweeper queues them again once due).
        Holds of one queue that the API's request threads ask for at once go in one
        transaction (`coalesce.Coalesced`): a post sent on its own costs a commit only while
        requests do not overlap, and one a handful when they come by the thousand."""
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for post, at, queue in items:
            by_queue.setdefault(queue if queue in self._holds else DEFAULT_QUEUE, []).append(
                {
                    "decision_id": post.decision_id(),
                    "community": post.community,
                    "queue": queue,
                    "post": msgspec.to_builtins(post),
                    "received_at": at,
                    "status": "pending",
                    "attempts": 0,
                    "reason": None,
                    "due_at": due_at,
                }
            )
        # Crisis-prone posts' lane first (QUEUES is in the order work is preferred).
        for queue in QUEUES:
            if queue in by_queue:
                self._holds[queue](by_queue[queue])

    def _write_holds(self, rows: list[dict[str, Any]]) -> None:
        if len(rows) == 1:
            # A post held on its own (one request, no other in flight) is one statement: no
            # transaction around it, two round trips fewer before the API answers.
            with self._single.connect() as connection:
                connection.execute(self._hold, rows[0])
            return
        # Many rows go as many statements (the driver's executemany): held all or none.
        with self._transaction() as connection:
            connection.execute(self._hold, rows)

    def release_pending(self, decision_ids: Sequence[str]) -> None:
        if decision_ids:
            with self._session() as session:
                session.execute(delete(PendingPostRow).where(PendingPostRow.decision_id.in_(decision_ids)))

    def pending_posts(self) -> list[tuple[Post, datetime, str]]:
        with self._session() as session:
            rows = session.scalars(
                select(PendingPostRow).where(PendingPostRow.status == "pending").order_by(PendingPostRow.received_at)
            )
            return [(msgspec.convert(r.post, Post), r.received_at, r.queue) for r in rows]

    def held_posts(self, decision_ids: Sequence[str]) -> dict[str, HeldPost]:
        if not decision_ids:
            return {}
        with Session(self._single) as session:
            rows = session.scalars(select(PendingPostRow).where(PendingPostRow.decision_id.in_(decision_ids)))
            return {r.decision_id: _held(r) for r in rows}

    def overdue_posts(self, now: datetime, next_due: datetime, limit: int = 1000) -> list[tuple[Post, datetime, str]]:
        with self._session() as session:
            rows = _take_overdue(session, PendingPostRow, PendingPostRow.due_at, now, next_due, limit)
            return [(msgspec.convert(r.post, Post), r.received_at, r.queue) for r in rows]

    def park_post(self, decision_id: str, *, reason: str, attempts: int) -> bool:
        with self._session() as session:
            result = session.execute(
                update(PendingPostRow)
                .where(PendingPostRow.decision_id == decision_id, PendingPostRow.status == "pending")
                .values(status="parked", reason=reason[:500], attempts=attempts, due_at=None)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def parked_posts(self, community: str, limit: int = 100) -> list[HeldPost]:
        with Session(self._single) as session:
            rows = session.scalars(
                select(PendingPostRow)
                .where(PendingPostRow.community == community, PendingPostRow.status == "parked")
                .order_by(PendingPostRow.received_at, PendingPostRow.decision_id)
                .limit(limit)
            )
            return [_held(r) for r in rows]

    def unpark_post(self, community: str, decision_id: str, due_at: datetime) -> tuple[Post, datetime, str] | None:
        with self._session() as session:
            row = session.scalar(
                select(PendingPostRow)
                .where(
                    PendingPostRow.decision_id == decision_id,
                    PendingPostRow.community == community,
                    PendingPostRow.status == "parked",
                )
                .with_for_update()
            )
            if row is None:
                return None
            row.status, row.reason, row.attempts, row.due_at = "pending", None, 0, due_at
            return msgspec.convert(row.post, Post), row.received_at, row.queue

    # Reviews

    def add_review(self, community: str, decision_id: str, outcome: str, moderator: str, note: str) -> Review | None:
        with self._session() as session:
            exists = session.scalar(
                select(DecisionRow.id).where(DecisionRow.id == decision_id, DecisionRow.community == community)
            )
            if exists is None:
                return None
            row = ReviewRow(
                id=str(uuid.uuid4()),
                decision_id=decision_id,
                community=community,
                outcome=outcome,
                moderator=moderator,
                note=note,
                created_at=_now(),
            )
            session.add(row)
        return _review(row)

    # Webhooks

    def create_subscription(self, community: str, url: str, event_types: Sequence[str]) -> Subscription:
        row = SubscriptionRow(
            id=str(uuid.uuid4()),
            community=community,
            url=url,
            event_types=list(dict.fromkeys(event_types)),
            secret=new_webhook_secret(),
            created_at=_now(),
            deleted_at=None,
        )
        with self._session() as session:
            session.add(row)
        return _subscription(row)

    def list_subscriptions(self, community: str) -> list[Subscription]:
        with Session(self._single) as session:
            rows = session.scalars(
                select(SubscriptionRow)
                .where(SubscriptionRow.community == community, SubscriptionRow.deleted_at.is_(None))
                .order_by(SubscriptionRow.created_at)
            )
            return [_subscription(r) for r in rows]

    def get_subscription(self, community: str, subscription_id: str) -> Subscription | None:
        return next((s for s in self.list_subscriptions(community) if s.id == subscription_id), None)

    def delete_subscription(self, community: str, subscription_id: str) -> bool:
        with self._session() as session:
            result = session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.id == subscription_id,
                    SubscriptionRow.community == community,
                    SubscriptionRow.deleted_at.is_(None),
                )
                .values(deleted_at=_now())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_deliveries(self, deliveries: Sequence[NewDelivery]) -> list[str]:
        with self._session() as session:
            return self._add_deliveries(session, deliveries)

    def _add_deliveries(self, session: Session | Connection, deliveries: Sequence[NewDelivery]) -> list[str]:
        if not deliveries:
            return []
        now = _now()
        session.execute(
            self._insert_ignoring_conflicts(_DELIVERIES, "id"),
            [
                {
                    **msgspec.structs.asdict(d),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "delivered_at": None,
                    "next_attempt_at": now,
                }
                for d in deliveries
            ],
        )
        return list(session.scalars(self._pending_deliveries, {"ids": [d.id for d in deliveries]}))

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        # One read on every delivery's path: without BEGIN and COMMIT round trips.
        with self._single.connect() as connection:
            row = connection.execute(_DELIVERY_WITH_SUBSCRIBER, {"delivery": delivery_id}).first()
        if row is None:
            return None
        return Delivery(
            id=row.delivery_id,
            subscription=_subscription(row),
            event_type=row.event_type,
            payload=row.payload,
            status=row.status,
            attempts=row.attempts,
            ingested_at=row.ingested_at,
            created_at=row.delivery_created_at,
        )

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
        now = _now()
        values: dict[str, Any] = {"attempts": attempt, "next_attempt_at": None if final else next_attempt_at}
        if final:
            values["status"] = outcome
            if outcome == "delivered":
                values["delivered_at"] = now
        # Table statements in a plain transaction: an ORM flush of the new row cost about as
        # much CPU as the HTTP request it records.
        with self._transaction() as connection:
            connection.execute(
                _ATTEMPT,
                {
                    "delivery_id": delivery_id,
                    "attempt": attempt,
                    "at": now,
                    "outcome": outcome,
                    "status_code": status_code,
                    "error": error[:500] if error else None,
                    "duration_ms": duration_ms,
                },
            )
            connection.execute(_ATTEMPT_RECORDED, {"delivery": delivery_id, **values})

    def overdue_deliveries(self, now: datetime, next_due: datetime, limit: int = 1000) -> list[tuple[str, str]]:
        with self._session() as session:
            rows = _take_overdue(session, DeliveryRow, DeliveryRow.next_attempt_at, now, next_due, limit)
            return [(r.id, r.event_type) for r in rows]

    def retry_delivery(self, community: str, subscription_id: str, delivery_id: str) -> str | None:
        """A failed delivery pending again, with a fresh round of attempts; its event type."""
        with self._session() as session:
            row = session.scalar(
                select(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery_id,
                    DeliveryRow.community == community,
                    DeliveryRow.subscription_id == subscription_id,
                    DeliveryRow.status == "failed",
                )
                .with_for_update()
            )
            if row is None:
                return None
            # A new round of attempts, numbered from 1 again; the earlier ones stay listed.
            row.status, row.attempts, row.next_attempt_at = "pending", 0, _now()
            return row.event_type

    def delivery_attempts(self, delivery_id: str) -> list[Attempt]:
        with self._session() as session:
            return self._attempts(session, [delivery_id])[delivery_id]

    @staticmethod
    def _attempts(session: Session, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        attempts: dict[str, list[Attempt]] = {i: [] for i in delivery_ids}
        rows = session.scalars(
            select(AttemptRow).where(AttemptRow.delivery_id.in_(delivery_ids)).order_by(AttemptRow.id)
        )
        for row in rows:
            attempts[row.delivery_id].append(
                Attempt(
                    attempt=row.attempt, at=row.at, outcome=row.outcome, status_code=row.status_code, error=row.error
                )
            )
        return attempts

    def recent_deliveries(self, community: str, subscription_id: str, limit: int = 50) -> list[DeliveryReport]:
        return self._reports(
            select(DeliveryRow)
            .where(DeliveryRow.community == community, DeliveryRow.subscription_id == subscription_id)
            .order_by(DeliveryRow.created_at.desc(), DeliveryRow.id)
            .limit(limit)
        )

    def decision_deliveries(self, community: str, decision_id: str) -> list[DeliveryReport]:
        return self._reports(
            select(DeliveryRow)
            .where(DeliveryRow.community == community, DeliveryRow.decision_id == decision_id)
            .order_by(DeliveryRow.created_at, DeliveryRow.id)
        )

    def _reports(self, query: Select[DeliveryRow]) -> list[DeliveryReport]:
        with self._session() as session:
            deliveries = list(session.scalars(query))
            attempts = self._attempts(session, [d.id for d in deliveries])
            return [
                DeliveryReport(
                    id=d.id,
                    event_type=d.event_type,
                    status=d.status,
                    created_at=d.created_at,
                    delivered_at=d.delivered_at,
                    attempts=attempts[d.id],
                )
                for d in deliveries
            ]

    # Protected identities

    def identity_secret(self, community: str) -> bytes:
        with self._session() as session:
            session.execute(
                self._insert(_IDENTITY_SECRETS)
                .values(community=community, secret=secrets.token_hex(32), created_at=_now())
                .on_conflict_do_nothing(index_elements=["community"])
            )
            found = session.scalar(select(IdentitySecretRow.secret).where(IdentitySecretRow.community == community))
        assert found is not None
        return bytes.fromhex(found)

    def add_protected_identity(
        self, community: str, names: Sequence[ProtectedName], member: str | None
    ) -> ProtectedIdentity:
        row = ProtectedIdentityRow(
            id=str(uuid.uuid4()),
            community=community,
            member=member,
            digests=[n.digest for n in names],
            heads=[n.head for n in names],
            created_at=_now(),
        )
        with self._session() as session:
            session.add(row)
        return _protected_identity(row)

    def list_protected_identities(self, community: str) -> list[ProtectedIdentity]:
        with self._session() as session:
            rows = session.scalars(
                select(ProtectedIdentityRow)
                .where(ProtectedIdentityRow.community == community)
                .order_by(ProtectedIdentityRow.created_at, ProtectedIdentityRow.id)
            )
            return [_protected_identity(row) for row in rows]

    def withdraw_protected_identity(self, community: str, registration_id: str) -> bool:
        with self._session() as session:
            result = session.execute(
                delete(ProtectedIdentityRow).where(
                    ProtectedIdentityRow.community == community, ProtectedIdentityRow.id == registration_id
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def protected_names(self, community: str) -> tuple[bytes, list[ProtectedName]] | None:
        with self._single.connect() as connection:
            secret = connection.scalar(select(IdentitySecretRow.secret).where(IdentitySecretRow.community == community))
            if secret is None:
                return None
            rows = connection.execute(
                select(ProtectedIdentityRow.member, ProtectedIdentityRow.digests, ProtectedIdentityRow.heads).where(
                    ProtectedIdentityRow.community == community
                )
            ).all()
        names = [
            ProtectedName(digest, head, member)
            for member, digests, heads in rows
            for digest, head in zip(digests, heads, strict=True)
        ]
        return bytes.fromhex(secret), names

    # Retention

    def purge(self, before: datetime, *, chunk: int = PURGE_CHUNK_ROWS) -> PurgeCounts:
        """Delete what is older than `before`, at most `chunk` rows of a table in a transaction.
        The rows that name a deleted one (a decision's categories, reviews, actions and
        escalations, a delivery's attempts) go with it: the schema's foreign keys cascade."""
        candidate = CandidateDecisionRow
        return PurgeCounts(
            deliveries=self._purge_chunks(DeliveryRow.id, DeliveryRow.created_at, before, chunk),
            decisions=self._purge_chunks(DecisionRow.id, DecisionRow.decided_at, before, chunk),
            candidates=self._purge_chunks(candidate.decision_id, candidate.decided_at, before, chunk),
        )

    def _purge_chunks(
        self, key: InstrumentedAttribute[str], at: InstrumentedAttribute[datetime], before: datetime, chunk: int
    ) -> int:
        """Rows of `key`'s table older than `before`, deleted `chunk` keys to a transaction.
        At volume a purge deletes millions of rows; in one transaction they would hold back
        PostgreSQL's vacuum, and an embedded SQLite's every writer, for as long as it ran."""
        deleted = 0
        # The database picks each chunk's keys (`at` is indexed), so no key travels to the client.
        some = select(key).where(at < before).limit(chunk)
        while True:
            with self._transaction() as connection:
                done = connection.execute(delete(key.class_).where(key.in_(some), at < before)).rowcount
            deleted += done
            if done < chunk:
                return deleted
