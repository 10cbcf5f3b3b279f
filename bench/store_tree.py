"""A `SqlStore` of a chosen tree's `service/` on a PostgreSQL database made for the run:
the set-up of the benchmarks that compare how two trees talk to the database
(bench/hold.py, bench/id_lists.py). Needs PostgreSQL on 127.0.0.1:5432 (scripts/services)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def add_service_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", type=Path, default=ROOT / "service", help="the service/ folder to run")


@contextmanager
def fresh_store(service: Path, database: str) -> Iterator[Any]:
    """The store, its database migrated to head; the database is dropped after. `haven` is
    imported from `service` from here on, in this process."""
    sys.path.insert(0, str(service))
    sys.path.insert(1, str(ROOT))
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    from tests.integration.harness import postgres_database

    with postgres_database(database) as url:
        store = SqlStore.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        try:
            yield store
        finally:
            store.dispose()
