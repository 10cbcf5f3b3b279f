"""The record of platform actions: one row per action of a decision, every attempt kept.

An action's id is its idempotency key (decision id + kind + template or name),
so planning the same decision twice, or running its task twice, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import msgspec
from msgspec import Meta
from sqlalchemy import Engine, Table, select, update

from haven.domain import Action, Decision
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE
from haven.store.models import PlatformActionAttemptRow, PlatformActionRow
from haven.store.transactions import Transactions

FINAL = frozenset({"done", "unsupported", "failed", "skipped", "cancelled"})


def action_key(decision: Decision, action: Action) -> str:
    name = str(action.params.get("template") or action.params.get("name") or "")
    return f"{decision.id}:{action.kind}:{name}"


class PlatformAction(msgspec.Struct, kw_only=True, frozen=True):
    id: Annotated[
        str,
        Meta(
            description="The action's key: decision id, kind and template or name.",
            examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10:remove:"],
        ),
    ]
    decision_id: Annotated[
        str,
        Meta(description="The decision that asked for it.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    community: Annotated[str, Meta(description="Its community.", examples=["chronic-pain-support"])]
    platform: Annotated[str, Meta(description="The plugin that carries it out.", examples=["discourse"])]
    external_id: Annotated[str, Meta(description="The post's id on the platform.", examples=["2001"])]
    kind: Annotated[str, Meta(description="The neutral action.", examples=["remove"])]
    status: Annotated[
        str,
        Meta(description="pending, done, unsupported, failed, skipped or cancelled.", examples=["failed"]),
    ]
    attempts: Annotated[int, Meta(description="Attempts made so far.", examples=[8])]
    platform_ref: Annotated[
        str | None,
        Meta(description="The platform's id of what the action created, for undoing it.", examples=["flag-77"]),
    ]


def _record(row: PlatformActionRow) -> PlatformAction:
    return PlatformAction(
        id=row.id,
        decision_id=row.decision_id,
        community=row.community,
        platform=row.platform,
        external_id=row.external_id,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        platform_ref=row.platform_ref,
    )


class ActionLedger(Transactions):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # Built once: every task with an action reads back which of its actions are pending.
        actions = cast(Table, PlatformActionRow.__table__)
        self._pending = select(actions.c.id).where(self._one_of(actions.c.id), actions.c.status == "pending")

    def plan(self, decisions: Sequence[Decision]) -> list[tuple[str, str]]:
        """Record each action of the decisions (idempotently); returns (id, queue) of those still pending.

        Escalations and everything decided with them go to the crisis queue."""
        now = datetime.now(UTC)
        values: list[dict[str, Any]] = []
        queues: dict[str, str] = {}
        for decision in decisions:
            crisis = decision.verdict == "escalate" or any(a.kind == "escalate" for a in decision.actions)
            for action in decision.actions:
                queues[action_key(decision, action)] = CRISIS_QUEUE if crisis else DEFAULT_QUEUE
                values.append(
                    {
                        "id": action_key(decision, action),
                        "decision_id": decision.id,
                        "community": decision.post.community,
                        "platform": decision.post.platform,
                        "external_id": decision.post.external_id,
                        "kind": action.kind,
                        "status": "pending",
                        "attempts": 0,
                        "platform_ref": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        if not values:
            return []
        ids = [v["id"] for v in values]
        with self._session() as session:
            self._insert_new(session, PlatformActionRow, values)
            pending = set(session.scalars(self._pending, {"ids": ids}))
        return [(i, queues[i]) for i in ids if i in pending]

    def get(self, action_id: str) -> PlatformAction | None:
        with self._session() as session:
            row = session.get(PlatformActionRow, action_id)
            return None if row is None else _record(row)

    def for_decision(self, decision_id: str) -> list[PlatformAction]:
        with self._session() as session:
            rows = session.scalars(
                select(PlatformActionRow)
                .where(PlatformActionRow.decision_id == decision_id)
                .order_by(PlatformActionRow.id)
            )
            return [_record(r) for r in rows]

    def record_attempt(self, action_id: str, *, status: str, detail: str, platform_ref: str | None, final: bool) -> int:
        """Keep one attempt; `final` sets the action's status. Returns the attempt's number."""
        now = datetime.now(UTC)
        with self._session() as session:
            row = session.get(PlatformActionRow, action_id, with_for_update=True)
            if row is None:
                return 0
            row.attempts += 1
            row.updated_at = now
            if final:
                row.status = status
            if platform_ref is not None:
                row.platform_ref = platform_ref
            session.add(
                PlatformActionAttemptRow(
                    action_id=action_id, attempt=row.attempts, at=now, status=status, detail=detail[:500]
                )
            )
            return row.attempts

    def attempts(self, action_id: str) -> list[dict[str, Any]]:
        with self._session() as session:
            rows = session.scalars(
                select(PlatformActionAttemptRow)
                .where(PlatformActionAttemptRow.action_id == action_id)
                .order_by(PlatformActionAttemptRow.attempt)
            )
            return [{"attempt": r.attempt, "at": r.at, "status": r.status, "detail": r.detail} for r in rows]

    def failed(self, community: str, limit: int = 100) -> list[PlatformAction]:
        """The community's actions given up on after their last attempt, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(PlatformActionRow)
                .where(PlatformActionRow.community == community, PlatformActionRow.status == "failed")
                .order_by(PlatformActionRow.updated_at, PlatformActionRow.id)
                .limit(limit)
            )
            return [_record(r) for r in rows]

    def retry(self, community: str, action_id: str) -> bool:
        """A failed action pending again with a new round of attempts (its earlier ones stay listed)."""
        with self._session() as session:
            result = session.execute(
                update(PlatformActionRow)
                .where(
                    PlatformActionRow.id == action_id,
                    PlatformActionRow.community == community,
                    PlatformActionRow.status == "failed",
                )
                .values(status="pending", attempts=0, updated_at=datetime.now(UTC))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def cancel(self, community: str, platform: str, external_id: str) -> int:
        """Cancel the pending actions of every revision of a post; returns how many."""
        with self._session() as session:
            result = session.execute(
                update(PlatformActionRow)
                .where(
                    PlatformActionRow.community == community,
                    PlatformActionRow.platform == platform,
                    PlatformActionRow.external_id == external_id,
                    PlatformActionRow.status == "pending",
                )
                .values(status="cancelled", updated_at=datetime.now(UTC))
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
