"""The stored side of community policies: versions of each community's API layer, which
version acts and which is a candidate, and what candidates would have decided."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Literal, Protocol

import msgspec
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from haven.domain import Decision
from haven.store.models import CandidateDecisionRow, PolicyStateRow, PolicyVersionRow
from haven.store.records import PolicyVersion


def content_hash(documents: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key, text in sorted(documents.items()):
        digest.update(key.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def _version(row: PolicyVersionRow, state: PolicyStateRow | None) -> PolicyVersion:
    status: Literal["active", "candidate", "inactive"] = "inactive"
    if state is not None and state.active_version == row.version:
        status = "active"
    elif state is not None and state.candidate_version == row.version:
        status = "candidate"
    return PolicyVersion(
        community=row.community, version=row.version, status=status, content_hash=row.content_hash,
        author_key=row.author_key, message=row.message, created_at=row.created_at,
        documents={k: str(v) for k, v in row.documents.items()},
    )  # fmt: skip


class _Sessions(Protocol):
    engine: Engine

    def _session(self) -> AbstractContextManager[Session]: ...


class PolicyVersionsSql:
    """Mixed into `SqlStore`: the same engine and sessions."""

    def policy_heads(self: _Sessions) -> dict[str, tuple[int | None, int | None]]:
        """Every community's (active, candidate) version; a small table read whole, often."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(PolicyStateRow.community, PolicyStateRow.active_version, PolicyStateRow.candidate_version)
            )
            return {r.community: (r.active_version, r.candidate_version) for r in rows}

    def policy_version(self: _Sessions, community: str, version: int) -> PolicyVersion | None:
        with self._session() as session:
            row = session.get(PolicyVersionRow, (community, version))
            return _version(row, session.get(PolicyStateRow, community)) if row is not None else None

    def policy_versions(self: _Sessions, community: str) -> list[PolicyVersion]:
        with self._session() as session:
            state = session.get(PolicyStateRow, community)
            rows = session.scalars(
                select(PolicyVersionRow)
                .where(PolicyVersionRow.community == community)
                .order_by(PolicyVersionRow.version.desc())
            )
            return [_version(r, state) for r in rows]

    def add_policy_version(
        self: _Sessions,
        community: str,
        documents: dict[str, str],
        *,
        author_key: str | None,
        message: str,
        candidate: bool,
    ) -> PolicyVersion:
        """The next version of the community's layer; it acts at once, or is judged in shadow
        beside the active one when `candidate`."""
        now = datetime.now(UTC)
        with self._session() as session:
            latest = session.scalar(
                select(func.max(PolicyVersionRow.version)).where(PolicyVersionRow.community == community)
            )
            row = PolicyVersionRow(
                community=community, version=(latest or 0) + 1, documents=dict(documents),
                content_hash=content_hash(documents), author_key=author_key, message=message[:500], created_at=now,
            )  # fmt: skip
            session.add(row)
            state = session.get(PolicyStateRow, community, with_for_update=True)
            if state is None:
                state = PolicyStateRow(community=community, active_version=None, candidate_version=None, updated_at=now)
                session.add(state)
            if candidate:
                state.candidate_version = row.version
            else:
                state.active_version = row.version
            state.updated_at = now
            session.flush()
            return _version(row, state)

    def activate_policy_version(self: _Sessions, community: str, version: int) -> PolicyVersion | None:
        """Make `version` act (a rollback, or a candidate promoted); None when there is none."""
        now = datetime.now(UTC)
        with self._session() as session:
            row = session.get(PolicyVersionRow, (community, version))
            if row is None:
                return None
            state = session.get(PolicyStateRow, community, with_for_update=True)
            assert state is not None, "a version is stored with its state"
            state.active_version = version
            if state.candidate_version == version:
                state.candidate_version = None
            state.updated_at = now
            session.flush()
            return _version(row, state)

    def record_candidate_decisions(self: _Sessions, items: Sequence[tuple[int, Decision]]) -> None:
        """Store (candidate version, its decision) beside the decisions that acted; idempotent."""
        if not items:
            return
        now = datetime.now(UTC)
        with self._session() as session:
            for version, decision in items:
                if session.get(CandidateDecisionRow, (decision.id, version)) is None:
                    session.add(
                        CandidateDecisionRow(
                            decision_id=decision.id,
                            version=version,
                            community=decision.post.community,
                            verdict=decision.verdict,
                            body=msgspec.to_builtins(decision),
                            decided_at=now,
                        )
                    )

    def candidate_decisions(self: _Sessions, community: str, version: int) -> Iterator[Decision]:
        with self._session() as session:
            bodies = list(
                session.scalars(
                    select(CandidateDecisionRow.body).where(
                        CandidateDecisionRow.community == community, CandidateDecisionRow.version == version
                    )
                )
            )
        return (msgspec.convert(body, Decision) for body in bodies)
