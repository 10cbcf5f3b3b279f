"""Reading the settings for a command, with the bad variable named on failure."""

from __future__ import annotations

import sys

from haven.config import Settings, SettingsError

EXIT_CONFIG = 2


class ConfigurationFailed(SystemExit):
    pass


def check_policies(settings: Settings) -> None:
    """Exit with status 2 and every problem listed when the policy folder does not load."""
    from haven.policy import PolicyLoadError, load_policy_set

    try:
        load_policy_set(settings.policy.directory)
    except PolicyLoadError as exc:
        print(
            f"haven: the policies in HAVEN_POLICY_DIR={settings.policy.directory} do not load:\n{exc}",
            file=sys.stderr,
        )
        raise ConfigurationFailed(EXIT_CONFIG) from exc


def check_schema(settings: Settings) -> None:
    """Exit with status 2 when the database is not migrated (full mode migrates by command)."""
    from sqlalchemy.exc import SQLAlchemyError

    from haven.cli.startup_failures import database_failure, fail
    from haven.store.migrate import is_current
    from haven.store.sql import make_engine

    url = settings.database.effective_url
    engine = make_engine(url, prepared_statements=settings.database.prepared_statements)
    try:
        current = is_current(engine)
    except SQLAlchemyError as exc:
        fail(database_failure(url, exc), exc)
    finally:
        engine.dispose()
    if not current:
        fail("the database schema is not up to date: run `haven migrate` first")


def check_services(settings: Settings) -> None:
    """Full mode: exit with one line naming the fix when the database is unreachable, missing or
    not migrated, or Redis does not answer."""
    from haven.cli.startup_failures import check_redis, check_redis_cluster

    if settings.database.url is not None:
        check_schema(settings)
    if settings.queue.redis_url is not None:
        check_redis(settings.queue.redis_url)
    if settings.queue.state_redis_url is not None:
        check_redis(settings.queue.state_redis_url, "HAVEN_STATE_REDIS_URL")
        if settings.queue.state_redis_cluster:
            check_redis_cluster(settings.queue.state_redis_url)


def load_settings() -> Settings:
    """The settings from the environment; exits with status 2 naming the bad variable."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"haven: configuration error: {exc}", file=sys.stderr)
        raise ConfigurationFailed(EXIT_CONFIG) from exc
