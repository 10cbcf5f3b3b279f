"""A PostgreSQL 15 cluster of a benchmark's own, so that its statistics (`pg_stat_wal`,
table sizes) count that benchmark's work alone. Imports nothing of Haven's, so a benchmark
can measure another commit's code (PYTHONPATH) with it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def own_postgres(folder: Path) -> Iterator[str]:
    """A cluster in `folder` on a free port, default settings (fsync on); yields the URL of
    its empty database `haven`."""
    data = folder / "pgdata"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log")]
    subprocess.run([*ctl, "-o", options, "-w", "start"], check=True, capture_output=True)
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute("CREATE DATABASE haven")
        yield f"postgresql://postgres@127.0.0.1:{port}/haven"
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
