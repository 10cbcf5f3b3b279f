"""The review queue's rows: decisions waiting for a person, claims on them, crisis streaks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import Connection, select, update

from haven.store.models import ModeratorStreakRow, QueueItemRow
from haven.store.transactions import Transactions


class QueueItem(msgspec.Struct, kw_only=True, frozen=True):
    decision_id: str
    community: str
    crisis: bool
    severity: int
    received_at: datetime
    reviewed_at: datetime | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None

    def claimed_by_other(self, moderator: str, now: datetime) -> bool:
        return (
            self.claimed_by is not None
            and self.claimed_by != moderator
            and self.claimed_until is not None
            and self.claimed_until > now
        )


class ClaimResult(msgspec.Struct, kw_only=True, frozen=True):
    outcome: Literal["claimed", "taken", "reviewed"]
    item: QueueItem
    # Crisis items the moderator has now claimed in a row.
    crisis_in_row: int = 0


def _record(row: QueueItemRow) -> QueueItem:
    return QueueItem(
        decision_id=row.decision_id,
        community=row.community,
        crisis=row.crisis,
        severity=row.severity,
        received_at=row.received_at,
        reviewed_at=row.reviewed_at,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
    )


class ReviewQueueStore(Transactions):
    def add(self, items: Sequence[QueueItem], *, within: Connection | None = None) -> None:
        """Put decisions in the queue; idempotent. `within`: an open transaction to join."""
        if not items:
            return
        with self._within(within) as session:
            self._insert_new(session, QueueItemRow, [msgspec.structs.asdict(i) for i in items])

    def waiting(self, community: str, limit: int) -> list[QueueItem]:
        """Not reviewed yet: crisis first, then the most severe, then the oldest."""
        with self._session() as session:
            rows = session.scalars(
                select(QueueItemRow)
                .where(QueueItemRow.community == community, QueueItemRow.reviewed_at.is_(None))
                .order_by(
                    QueueItemRow.crisis.desc(),
                    QueueItemRow.severity.desc(),
                    QueueItemRow.received_at,
                    QueueItemRow.decision_id,
                )
                .limit(limit)
            )
            return [_record(r) for r in rows]

    def get(self, community: str, decision_id: str) -> QueueItem | None:
        with self._session() as session:
            row = session.get(QueueItemRow, decision_id)
            return None if row is None or row.community != community else _record(row)

    def claim(self, community: str, decision_id: str, moderator: str, now: datetime, until: datetime) -> ClaimResult:
        """An exclusive claim until `until`, unless another moderator holds one that has not run out.

        Raises LookupError when the community has no such item."""
        with self._session() as session:
            row = session.get(QueueItemRow, decision_id, with_for_update=True)
            if row is None or row.community != community:
                raise LookupError(decision_id)
            item = _record(row)
            if item.reviewed_at is not None:
                return ClaimResult(outcome="reviewed", item=item)
            if item.claimed_by_other(moderator, now):
                return ClaimResult(outcome="taken", item=item)
            renewal = row.claimed_by == moderator and row.claimed_until is not None and row.claimed_until > now
            row.claimed_by = moderator
            row.claimed_until = until
            streak = session.get(ModeratorStreakRow, (community, moderator), with_for_update=True)
            if streak is None:
                streak = ModeratorStreakRow(community=community, moderator=moderator, crisis_in_row=0)
                session.add(streak)
            if not renewal:
                streak.crisis_in_row = streak.crisis_in_row + 1 if row.crisis else 0
            return ClaimResult(outcome="claimed", item=_record(row), crisis_in_row=streak.crisis_in_row)

    def crisis_in_row(self, community: str, moderator: str) -> int:
        with self._session() as session:
            streak = session.get(ModeratorStreakRow, (community, moderator))
            return 0 if streak is None else streak.crisis_in_row

    def release(self, decision_id: str) -> None:
        """Whoever held the item lets go (it was acknowledged)."""
        with self._session() as session:
            session.execute(
                update(QueueItemRow)
                .where(QueueItemRow.decision_id == decision_id)
                .values(claimed_by=None, claimed_until=None)
            )

    def reviewed(self, decision_id: str, now: datetime) -> None:
        """The item leaves the queue, its claim with it."""
        with self._session() as session:
            session.execute(
                update(QueueItemRow)
                .where(QueueItemRow.decision_id == decision_id, QueueItemRow.reviewed_at.is_(None))
                .values(reviewed_at=now, claimed_by=None, claimed_until=None)
            )
