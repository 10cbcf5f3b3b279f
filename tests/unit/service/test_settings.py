"""Settings come from HAVEN_* variables; a bad one is named when Haven starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from haven.config import Settings, SettingsError, documented_variables

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def test_nothing_configured_means_embedded_with_a_sqlite_file() -> None:
    settings = Settings.from_env({"HOME": "/home/someone"})
    assert settings.embedded
    assert settings.database.effective_url == "sqlite:////home/someone/.local/share/haven/haven.db"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.privacy.store_post_text is False


def test_redis_and_database_mean_full_mode_with_psycopg() -> None:
    settings = Settings.from_env(
        {"HAVEN_REDIS_URL": "redis://r:6379/0", "HAVEN_DATABASE_URL": "postgresql://u@db/haven"}
    )
    assert not settings.embedded
    assert settings.database.effective_url == "postgresql+psycopg://u@db/haven"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HAVEN_PORT", "eighty"),
        ("HAVEN_PORT", "70000"),
        ("HAVEN_STORE_POST_TEXT", "perhaps"),
        ("HAVEN_LOG_LEVEL", "LOUD"),
        ("HAVEN_REDIS_URL", "http://localhost"),
        ("HAVEN_DATABASE_URL", "mysql://db"),
        ("HAVEN_POLICY_DIR", "/no/such/folder"),
        ("HAVEN_RETENTION_DAYS", "0"),
        ("HAVEN_MAX_BODY_BYTES", "10"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    assert refused.value.variable == variable
    assert str(refused.value).startswith(variable + ": ")


def test_the_state_lives_in_the_brokers_redis_unless_it_has_its_own() -> None:
    full = {"HAVEN_REDIS_URL": "redis://broker:6379/0", "HAVEN_DATABASE_URL": "postgresql://u@db/haven"}
    assert Settings.from_env(full).queue.state_url == "redis://broker:6379/0"
    apart = Settings.from_env({**full, "HAVEN_STATE_REDIS_URL": "rediss://state:6380/2"})
    assert apart.queue.state_url == "rediss://state:6380/2"
    assert apart.queue.redis_url == "redis://broker:6379/0"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HAVEN_STATE_REDIS_URL": "redis://state:6379/0"})  # embedded: no Redis at all
    assert refused.value.variable == "HAVEN_STATE_REDIS_URL"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**full, "HAVEN_STATE_REDIS_URL": "http://state"})
    assert refused.value.variable == "HAVEN_STATE_REDIS_URL"
    # The broker cannot run on a cluster, so a cluster is for a state Redis of its own.
    assert Settings.from_env({**full, "HAVEN_STATE_REDIS_URL": "redis://s:7000/0", "HAVEN_STATE_REDIS_CLUSTER": "1"})
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**full, "HAVEN_STATE_REDIS_CLUSTER": "true"})
    assert refused.value.variable == "HAVEN_STATE_REDIS_CLUSTER"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**full, "HAVEN_STATE_REDIS_URL": "redis://s:7000/3", "HAVEN_STATE_REDIS_CLUSTER": "1"})
    assert refused.value.variable == "HAVEN_STATE_REDIS_URL" and "database 0" in str(refused.value)
    cluster = {**full, "HAVEN_STATE_REDIS_URL": "redis://s:7000/0", "HAVEN_STATE_REDIS_CLUSTER": "1"}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**cluster, "HAVEN_REDIS_KEY_PREFIX": "{haven}:"})
    assert refused.value.variable == "HAVEN_REDIS_KEY_PREFIX" and "one slot" in str(refused.value)
    assert Settings.from_env({**full, "HAVEN_REDIS_KEY_PREFIX": "{haven}:"})  # one Redis: no slots


def test_redis_without_a_database_is_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HAVEN_REDIS_URL": "redis://r:6379/0"})
    assert refused.value.variable == "HAVEN_DATABASE_URL"


def test_booleans_read_the_usual_spellings() -> None:
    assert Settings.from_env({"HAVEN_STORE_POST_TEXT": "yes"}).privacy.store_post_text
    assert not Settings.from_env({"HAVEN_STORE_POST_TEXT": "0"}).privacy.store_post_text


def test_every_setting_is_documented_in_operations_md() -> None:
    text = OPERATIONS.read_text()
    for variable, _, description in documented_variables():
        assert description, f"{variable} has no docstring"
        assert f"`{variable}`" in text, f"{variable} is missing from docs/operations.md"


def test_the_embedded_start_line_names_the_database_without_its_password(tmp_path: Path) -> None:
    from haven.cli.service_commands import embedded_database

    default = Settings.from_env({"HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "h.db")})
    assert embedded_database(default) == f"SQLite database {tmp_path / 'h.db'}"
    given = Settings.from_env({"HAVEN_DATABASE_URL": "postgresql://haven:s3cret@db:5432/haven"})
    shown = embedded_database(given)
    assert "s3cret" not in shown
    assert "haven:***@db:5432/haven" in shown


def test_the_embedded_database_lives_in_the_per_user_data_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert Settings.from_env({"HOME": str(home)}).database.embedded_path == home / ".local/share/haven/haven.db"
    data = tmp_path / "data"
    given = Settings.from_env({"HOME": str(home), "XDG_DATA_HOME": str(data)})
    assert given.database.embedded_path == data / "haven" / "haven.db"
    # The XDG spec: a relative XDG_DATA_HOME is invalid and ignored.
    relative = Settings.from_env({"HOME": str(home), "XDG_DATA_HOME": "data"})
    assert relative.database.embedded_path == home / ".local/share/haven/haven.db"
    chosen = Settings.from_env({"HOME": str(home), "HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "h.db")})
    assert chosen.database.embedded_path == tmp_path / "h.db"


def test_the_embedded_database_folder_is_created_on_first_use(tmp_path: Path) -> None:
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path / "not-yet")})
    store = SqlStore.from_url(settings.database.effective_url)
    try:
        upgrade(store.engine)
    finally:
        store.dispose()
    assert (tmp_path / "not-yet" / "haven" / "haven.db").is_file()
