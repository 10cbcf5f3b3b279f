"""Start-up failures as one line naming the fix, never a traceback.

A command that cannot reach what it needs (the database, Redis) stops with exit
status 2 and a line saying what is wrong and what to do, in the words of
docs/operations.md. The driver's own message is classified, never echoed whole:
it may carry the URL, and with it a password.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from sqlalchemy.engine import make_url

from haven.cli.settings_loading import EXIT_CONFIG, ConfigurationFailed

CREATE_DATABASE = 'see "Creating the database" in docs/operations.md'


def fail(message: str, cause: BaseException | None = None) -> NoReturn:
    print(f"haven: {message}", file=sys.stderr)
    raise ConfigurationFailed(EXIT_CONFIG) from cause


def _where(url: str) -> tuple[str, str, str, str]:
    """(driver, host:port, database, user) of a database URL, never its password."""
    parsed = make_url(url)
    place = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return parsed.get_backend_name(), place, parsed.database or "", parsed.username or ""


def database_failure(url: str, error: BaseException) -> str:
    """What is wrong with the database at `url`, given the error connecting to it, and the fix."""
    text = str(error)
    backend, place, database, user = _where(url)
    if backend == "sqlite":
        return (
            f"cannot open the SQLite database {database} ({type(error).__name__}): check that its folder "
            "can be written, or set HAVEN_EMBEDDED_DB_PATH (or HAVEN_DATABASE_URL) to one that can"
        )
    if f'database "{database}" does not exist' in text:
        return (
            f'the database "{database}" does not exist on {place}: create it '
            f"(createdb --owner {user or 'haven'} {database}; {CREATE_DATABASE}), then run `haven migrate`"
        )
    if f'role "{user}" does not exist' in text:
        return f'the role "{user}" does not exist on {place}: create it ({CREATE_DATABASE})'
    if "password authentication failed" in text or "no password supplied" in text:
        return f'PostgreSQL on {place} refused the password for "{user}": correct the password in HAVEN_DATABASE_URL'
    if "no pg_hba.conf entry" in text:
        return f"PostgreSQL on {place} does not let this host in: add a pg_hba.conf entry for it"
    reason = "connection refused" if "refused" in text else "no answer"
    if "translate host name" in text or "Name or service not known" in text:
        reason = "unknown host name"
    return (
        f"cannot reach the database at {place} ({reason}): start PostgreSQL, or correct host and port "
        "in HAVEN_DATABASE_URL"
    )


def _redis_place(url: str) -> str:
    """host:port of a Redis URL, never its password."""
    parsed = make_url(url.replace("rediss://", "redis://", 1))
    return f"{parsed.host or 'localhost'}:{parsed.port or 6379}"


def redis_failure(url: str, error: BaseException, variable: str = "HAVEN_REDIS_URL") -> str:
    place = _redis_place(url)
    text = str(error).lower()
    if "auth" in text or "password" in text:
        return f"Redis at {place} refused the credentials: correct them in {variable}"
    reason = "connection refused" if "refused" in text else "no answer"
    return f"cannot reach Redis at {place} ({reason}): start Redis, or correct {variable}"


def check_redis(url: str, variable: str = "HAVEN_REDIS_URL") -> None:
    """Exit with one line when Redis does not answer a PING within a few seconds."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        fail(redis_failure(url, exc, variable), exc)
    finally:
        client.close()


def check_redis_cluster(url: str) -> None:
    """Exit with one line when the state's Redis, which answers, is not a working cluster."""
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException, RedisError

    try:
        RedisCluster.from_url(url, socket_connect_timeout=3, socket_timeout=3).close()
    except (RedisClusterException, RedisError) as exc:
        reason = "cluster mode is not enabled there" if "not enabled" in str(exc) else "its cluster does not answer"
        fail(
            f"Redis at {_redis_place(url)} is not a working Redis Cluster ({reason}): point HAVEN_STATE_REDIS_URL at a "
            "node of one, or unset HAVEN_STATE_REDIS_CLUSTER",
            exc,
        )


def describe(error: BaseException) -> str | None:
    """The one line for a failure to connect that escaped a command's own checks (the embedded
    database opened at start, say), or None for anything else, which keeps its traceback."""
    import redis
    from sqlalchemy.exc import OperationalError

    from haven.config import Settings

    settings = Settings.from_env()  # the command read it already: it is valid
    if isinstance(error, OperationalError):
        return database_failure(settings.database.effective_url, error)
    if isinstance(error, redis.ConnectionError) and settings.queue.redis_url is not None:
        return redis_failure(settings.queue.redis_url, error)
    return None
