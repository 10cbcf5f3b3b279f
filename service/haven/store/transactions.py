"""What every ledger on the shared database needs: a transaction, and the dialect's upsert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker


class Transactions:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Both dialects offer INSERT … ON CONFLICT DO NOTHING, which makes recording idempotent.
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session
