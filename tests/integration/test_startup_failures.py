"""Every way a start can fail stops it with exit status 2 and one line naming the fix, never a
traceback: the database missing, its role missing, unreachable, not migrated, Redis
unreachable, a bad setting, an embedded database that cannot be written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.harness import POSTGRES_ADMIN, free_port, haven_env, run_haven

pytestmark = pytest.mark.integration

SERVER = POSTGRES_ADMIN.rsplit("/", 1)[0].split("@", 1)[1]  # host:port of the test PostgreSQL


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("haven: ")
    return lines[0]


def test_migrate_against_a_missing_database_says_how_to_create_it() -> None:
    line = one_line(
        run_haven("migrate", env=haven_env(HAVEN_DATABASE_URL=f"postgresql://postgres@{SERVER}/no_such_db"))
    )
    assert 'the database "no_such_db" does not exist' in line
    assert "createdb --owner postgres no_such_db" in line and "docs/operations.md" in line
    assert "haven migrate" in line


def test_a_missing_role_is_named_with_where_to_read_how_to_create_it() -> None:
    line = one_line(run_haven("migrate", env=haven_env(HAVEN_DATABASE_URL=f"postgresql://no_such_role@{SERVER}/test")))
    assert 'the role "no_such_role" does not exist' in line and "docs/operations.md" in line


def test_an_unreachable_database_names_its_address_and_never_its_password() -> None:
    url = f"postgresql://haven:s3cret@127.0.0.1:{free_port()}/haven"
    for command in (("migrate",), ("keys", "create", "c")):
        line = one_line(run_haven(*command, env=haven_env(HAVEN_DATABASE_URL=url)))
        assert "cannot reach the database at 127.0.0.1:" in line and "connection refused" in line
        assert "s3cret" not in line
    serve = one_line(
        run_haven("serve", env=haven_env(HAVEN_DATABASE_URL=url, HAVEN_REDIS_URL="redis://127.0.0.1:6379/5"))
    )
    assert "cannot reach the database" in serve


def test_an_unmigrated_database_says_run_migrate(fresh_postgres_url: str, redis_url: str) -> None:
    env = haven_env(HAVEN_DATABASE_URL=fresh_postgres_url, HAVEN_REDIS_URL=redis_url)
    for command in (("serve",), ("worker",), ("keys", "create", "c")):
        assert "run `haven migrate` first" in one_line(run_haven(*command, env=env))


def test_unreachable_redis_is_named_before_anything_starts(postgres_url: str) -> None:
    env = haven_env(HAVEN_DATABASE_URL=postgres_url, HAVEN_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    for command in ("serve", "worker", "scheduler"):
        line = one_line(run_haven(command, env=env))
        assert "cannot reach Redis at 127.0.0.1:" in line and "HAVEN_REDIS_URL" in line


def start_with_a_state_redis(command: str, postgres_url: str, redis_url: str, **state: str) -> str:
    """The one line `haven COMMAND` stops with, its state's Redis set by `state`."""
    env = haven_env(HAVEN_DATABASE_URL=postgres_url, HAVEN_REDIS_URL=redis_url, **state)
    return one_line(run_haven(command, env=env))


def test_an_unreachable_state_redis_is_named_by_its_own_variable(postgres_url: str, redis_url: str) -> None:
    away = f"redis://127.0.0.1:{free_port()}/0"
    for command in ("serve", "worker"):
        line = start_with_a_state_redis(command, postgres_url, redis_url, HAVEN_STATE_REDIS_URL=away)
        assert "cannot reach Redis at 127.0.0.1:" in line and "HAVEN_STATE_REDIS_URL" in line


def test_a_state_redis_said_to_be_a_cluster_that_is_not_one_is_named(postgres_url: str, redis_url: str) -> None:
    one_node = redis_url.rsplit("/", 1)[0] + "/0"  # the tests' Redis
    line = start_with_a_state_redis(
        "serve", postgres_url, redis_url, HAVEN_STATE_REDIS_URL=one_node, HAVEN_STATE_REDIS_CLUSTER="true"
    )
    assert "is not a working Redis Cluster (cluster mode is not enabled there)" in line
    assert "HAVEN_STATE_REDIS_CLUSTER" in line


def test_a_bad_setting_is_one_line_naming_the_variable() -> None:
    assert one_line(run_haven("serve", env=haven_env(HAVEN_PORT="eighty"))) == (
        "haven: configuration error: HAVEN_PORT: must be a number, not 'eighty'"
    )


def test_an_embedded_database_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    env = haven_env(HAVEN_EMBEDDED_DB_PATH=str(blocked / "haven.db"))
    line = one_line(run_haven("keys", "create", "c", env=env))
    assert f"cannot open the SQLite database {blocked / 'haven.db'}" in line and "HAVEN_EMBEDDED_DB_PATH" in line
