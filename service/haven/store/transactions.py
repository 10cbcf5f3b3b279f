"""What every ledger on the shared database needs: a transaction, and the dialect's upsert."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Engine, Executable, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Transactions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Both dialects offer INSERT … ON CONFLICT DO NOTHING, which makes recording idempotent.
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._ignoring_conflicts: dict[tuple[Table, tuple[str, ...]], Executable] = {}

    def _one_of(self, column: ColumnElement[Any], name: str = "ids") -> ColumnElement[bool]:
        """`column` equal to one of the list bound to `name` when the statement runs. On
        PostgreSQL that is `= ANY(array)`: one parameter however long the list, so the
        statement's text (psycopg's parse of it, the server's prepared plan) is the same on
        every call, where an IN list expanded at each call renders and parses a placeholder per
        id (a read of 100 ids took 0.66 ms of CPU against 0.35: bench/id_lists.py)."""
        if self.engine.dialect.name == "postgresql":
            return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
        return column.in_(bindparam(name, expanding=True))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A transaction for table statements alone: without an ORM session's bookkeeping,
        which costs the API and the worker more than the statements on their hot paths."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _within(self, transaction: Connection | None) -> Iterator[Connection]:
        """The caller's open transaction on the same database, or one of this ledger's own."""
        if transaction is not None:
            yield transaction
        else:
            with self._transaction() as connection:
                yield connection

    def _insert_new(
        self, session: Session | Connection, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
    ) -> None:
        """INSERT … ON CONFLICT DO NOTHING of many rows as one statement compiled once per
        process: a VALUES list written into the statement is compiled anew for every call,
        which cost a worker about an eighth of its time per post."""
        if rows:
            session.execute(self._insert_ignoring_conflicts(cast(Table, model.__table__)), list(rows))

    def _insert_ignoring_conflicts(self, table: Table, *on: str) -> Executable:
        """INSERT … ON CONFLICT DO NOTHING into `table` (on the unique index of the columns `on`,
        or on any), built once per ledger: building it costs more than sending it."""
        key = (table, on)
        statement = self._ignoring_conflicts.get(key)
        if statement is None:
            statement = self._insert(table).on_conflict_do_nothing(index_elements=list(on) or None)
            self._ignoring_conflicts[key] = statement
        return statement
