"""Escalations and their acknowledgement timers, kept in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta
from sqlalchemy import Connection, func, select, update

from haven.store.models import EscalationRow
from haven.store.transactions import Transactions


class Escalation(msgspec.Struct, kw_only=True, frozen=True):
    decision_id: Annotated[
        str,
        Meta(description="The escalated decision.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    community: Annotated[str, Meta(description="Its community.", examples=["chronic-pain-support"])]
    opened_at: Annotated[
        datetime,
        Meta(description="When the escalation was decided.", examples=["2026-01-05T09:30:01Z"]),
    ]
    acknowledged_at: Annotated[
        datetime | None,
        Meta(description="When a moderator first acknowledged it.", examples=["2026-01-05T09:34:10Z"]),
    ]
    acknowledged_by: Annotated[str | None, Meta(description="Who acknowledged it first.", examples=["mod-alex"])]
    reminders_sent: Annotated[int, Meta(description="Reminders sent while nobody acknowledged it.", examples=[1])]
    next_due_at: Annotated[
        datetime | None,
        Meta(
            description="When the next reminder goes out, if still unacknowledged.",
            examples=["2026-01-05T09:40:01Z"],
        ),
    ]
    unacknowledged_at: Annotated[
        datetime | None,
        Meta(description="When it was declared unacknowledged after the last reminder.", examples=[None]),
    ]
    reminded_at: Annotated[
        list[datetime],
        Meta(description="When each reminder went out, oldest first.", examples=[["2026-01-05T09:40:01Z"]]),
    ] = []


class NewEscalation(msgspec.Struct, kw_only=True, frozen=True):
    decision_id: str
    community: str
    opened_at: datetime
    first_due_at: datetime


def _record(row: EscalationRow) -> Escalation:
    return Escalation(
        decision_id=row.decision_id,
        community=row.community,
        opened_at=row.opened_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        reminders_sent=row.reminders_sent,
        next_due_at=row.next_due_at,
        unacknowledged_at=row.unacknowledged_at,
        reminded_at=[datetime.fromisoformat(at) for at in row.reminded_at or []],
    )


class EscalationLedger(Transactions):
    def open(self, escalations: Sequence[NewEscalation], *, within: Connection | None = None) -> None:
        """Start the timers; idempotent (a re-run task leaves a running timer alone).
        `within`: an open transaction to join."""
        if not escalations:
            return
        values: list[dict[str, object]] = [
            {
                "decision_id": e.decision_id,
                "community": e.community,
                "opened_at": e.opened_at,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "reminders_sent": 0,
                "next_due_at": e.first_due_at,
                "unacknowledged_at": None,
                "reminded_at": [],
            }
            for e in escalations
        ]
        with self._within(within) as session:
            self._insert_new(session, EscalationRow, values)

    def get(self, community: str, decision_id: str) -> Escalation | None:
        with self._session() as session:
            row = session.get(EscalationRow, decision_id)
            return None if row is None or row.community != community else _record(row)

    def of(self, decision_ids: Sequence[str]) -> dict[str, Escalation]:
        """The escalations among these decisions, by decision id."""
        if not decision_ids:
            return {}
        with self._session() as session:
            rows = session.scalars(select(EscalationRow).where(EscalationRow.decision_id.in_(decision_ids)))
            return {r.decision_id: _record(r) for r in rows}

    def acknowledge(self, community: str, decision_id: str, moderator: str, now: datetime) -> tuple[Escalation, bool]:
        """Record the first acknowledgement and stop the timer; (the escalation, whether this call did it).

        The row is locked, so an acknowledgement and a reminder being decided never both win."""
        with self._session() as session:
            row = session.get(EscalationRow, decision_id, with_for_update=True)
            if row is None or row.community != community:
                raise LookupError(decision_id)
            if row.acknowledged_at is not None:
                return _record(row), False
            row.acknowledged_at = now
            row.acknowledged_by = moderator
            row.next_due_at = None
            return _record(row), True

    def due(self, now: datetime, limit: int = 100) -> list[Escalation]:
        with self._session() as session:
            rows = session.scalars(
                select(EscalationRow)
                .where(EscalationRow.next_due_at <= now, EscalationRow.acknowledged_at.is_(None))
                .order_by(EscalationRow.next_due_at)
                .limit(limit)
            )
            return [_record(r) for r in rows]

    def advance(
        self, seen: Escalation, *, next_due_at: datetime | None, unacknowledged_at: datetime | None, now: datetime
    ) -> bool:
        """Count one more reminder (sent `now`), or the on-call notice, if nothing changed since
        `seen` was read.

        False when a moderator acknowledged it meanwhile, or another sweep already counted it:
        then the caller sends nothing."""
        values: dict[str, object] = {"reminders_sent": seen.reminders_sent, "next_due_at": next_due_at}
        if unacknowledged_at is not None:
            values["unacknowledged_at"] = unacknowledged_at
        else:
            values["reminders_sent"] = seen.reminders_sent + 1
            # Safe to rewrite whole: the update below only wins while the row is as `seen` read it.
            values["reminded_at"] = [at.isoformat() for at in [*seen.reminded_at, now]]
        with self._session() as session:
            result = session.execute(
                update(EscalationRow)
                .where(
                    EscalationRow.decision_id == seen.decision_id,
                    EscalationRow.acknowledged_at.is_(None),
                    EscalationRow.reminders_sent == seen.reminders_sent,
                    EscalationRow.next_due_at == seen.next_due_at,
                )
                .values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def open_count(self) -> int:
        """Escalations no moderator has acknowledged yet, every community."""
        with self._session() as session:
            count = session.scalar(
                select(func.count()).select_from(EscalationRow).where(EscalationRow.acknowledged_at.is_(None))
            )
            return int(count or 0)
