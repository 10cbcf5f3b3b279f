"""Haven's settings: one object, read from `HAVEN_*` environment variables.

Each group is a frozen dataclass; each field's docstring is what
docs/operations.md says about its variable. `Settings.from_env()` validates
everything at start and raises `SettingsError` naming the bad variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from haven.policy.pack import default_pack_dir


def user_data_folder(env: Mapping[str, str]) -> Path:
    """Haven's per-user data folder where the XDG Base Directory spec puts application data:
    $XDG_DATA_HOME/haven, or ~/.local/share/haven when that is unset or not absolute (as the
    spec says). Never the working directory: `haven keys create` and `haven serve` started
    from different folders must open the same embedded database."""
    configured = env.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured) / "haven"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "haven"


def _default_embedded_db(env: Mapping[str, str]) -> Path:
    return user_data_folder(env) / "haven.db"


DEFAULT_POLICY_DIR = default_pack_dir()
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

T = TypeVar("T")


class SettingsError(ValueError):
    """A `HAVEN_*` variable holds a value Haven cannot use."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


def _meta(var: str, **checks: Any) -> dict[str, Any]:
    """A field's metadata: the environment variable it is read from and its checks."""
    return {"env": var, **checks}


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    host: str = field(default="127.0.0.1", metadata=_meta("HAVEN_HOST"))
    """Address `haven serve` listens on."""
    port: int = field(default=8000, metadata=_meta("HAVEN_PORT", min=1, max=65535))
    """TCP port `haven serve` listens on."""
    max_body_bytes: int = field(default=1_048_576, metadata=_meta("HAVEN_MAX_BODY_BYTES", min=1024))
    """Largest request body accepted; larger ones get 413."""
    max_text_chars: int = field(default=40_000, metadata=_meta("HAVEN_MAX_TEXT_CHARS", min=1))
    """Longest post title or body accepted, in characters; longer ones get 422."""
    header_timeout_seconds: float = field(default=10.0, metadata=_meta("HAVEN_HEADER_TIMEOUT_SECONDS", min=0.1))
    """A request's headers must arrive within this many seconds, or the connection is closed."""
    body_timeout_seconds: float = field(default=30.0, metadata=_meta("HAVEN_BODY_TIMEOUT_SECONDS", min=0.1))
    """A request's body must arrive within this many seconds after its headers, or the connection is closed."""


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    redis_url: str | None = field(default=None, metadata=_meta("HAVEN_REDIS_URL", scheme=("redis", "rediss")))
    """Redis for the Celery broker, dedupe keys and counters. Unset: embedded mode."""
    state_redis_url: str | None = field(
        default=None, metadata=_meta("HAVEN_STATE_REDIS_URL", scheme=("redis", "rediss"))
    )
    """Redis for the state (dedupe keys, counters, conversations, plugins), apart from the broker.
    Unset: HAVEN_REDIS_URL's."""
    state_redis_cluster: bool = field(default=False, metadata=_meta("HAVEN_STATE_REDIS_CLUSTER"))
    """HAVEN_STATE_REDIS_URL names a node of a Redis Cluster, over whose shards the state is spread."""
    visibility_timeout_seconds: int = field(default=600, metadata=_meta("HAVEN_VISIBILITY_TIMEOUT_SECONDS", min=1))
    """Seconds before a task held by a worker that died is handed to another; above any task."""
    key_prefix: str = field(default="", metadata=_meta("HAVEN_REDIS_KEY_PREFIX"))
    """Prefix of every Redis key Haven writes (queues too), to share one Redis database."""
    group_ms: float = field(default=5.0, metadata=_meta("HAVEN_INGEST_GROUP_MS", min=0, max=1000))
    """Ordinary posts accepted within this many ms go to the queue as one task (0: one each)."""
    dedupe_ttl_seconds: int = field(default=86400, metadata=_meta("HAVEN_DEDUPE_TTL_SECONDS", min=60))
    """How long a post's identity is remembered for deduplication."""
    task_max_attempts: int = field(default=6, metadata=_meta("HAVEN_TASK_MAX_ATTEMPTS", min=1, max=50))
    """Attempts at deciding one post before it is parked (GET /v1/posts/parked)."""
    task_retry_base_seconds: float = field(default=1.0, metadata=_meta("HAVEN_TASK_RETRY_BASE_SECONDS", min=0))
    """First wait before a post whose evaluation failed is tried again; each later one is 3× longer."""
    sweep_after_seconds: float = field(default=300.0, metadata=_meta("HAVEN_SWEEP_AFTER_SECONDS", min=0.1))
    """A post or webhook delivery still undone this long after it was due is queued again."""
    sweep_every_seconds: float = field(default=10.0, metadata=_meta("HAVEN_SWEEP_EVERY_SECONDS", min=0.1))
    """How often the scheduler (or the embedded runner) looks for such overdue work."""

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def state_url(self) -> str | None:
        """Where the state that is not the queues lives: its own Redis, or the broker's."""
        return self.state_redis_url or self.redis_url


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    url: str | None = field(
        default=None,
        metadata=_meta("HAVEN_DATABASE_URL", scheme=("postgresql", "postgresql+psycopg", "sqlite")),
    )
    """SQLAlchemy URL of the database (PostgreSQL in production). Unset: embedded SQLite."""
    embedded_path: Path = field(
        default=_default_embedded_db(os.environ),
        metadata=_meta("HAVEN_EMBEDDED_DB_PATH", default_from=_default_embedded_db),
    )
    """SQLite file used when HAVEN_DATABASE_URL is unset; its folder is created on first use."""
    prepared_statements: bool = field(default=True, metadata=_meta("HAVEN_DATABASE_PREPARED_STATEMENTS"))
    """PostgreSQL: whether a connection prepares the statements it runs again and again (on
    psycopg's count of five). False behind a pooler that hands each transaction any server
    connection (PgBouncer's transaction mode before 1.21), where a statement prepared on one
    server connection is missing, or already there, on the next."""

    @property
    def effective_url(self) -> str:
        if self.url is None:
            return f"sqlite:///{self.embedded_path}"
        if self.url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.url.removeprefix("postgresql://")
        return self.url


@dataclass(frozen=True, kw_only=True)
class PolicySettings:
    directory: Path = field(default=DEFAULT_POLICY_DIR, metadata=_meta("HAVEN_POLICY_DIR", is_dir=True))
    """Folder of policy YAML files; reloaded when its files change."""
    reload_seconds: float = field(default=1.0, metadata=_meta("HAVEN_POLICY_RELOAD_SECONDS", min=0))
    """How often a process looks for changed policy files (0: on every use)."""


@dataclass(frozen=True, kw_only=True)
class PrivacySettings:
    store_post_text: bool = field(default=False, metadata=_meta("HAVEN_STORE_POST_TEXT"))
    """Keep each post's title and body with its decision (default: evidence snippets only)."""
    retention_days: int = field(default=90, metadata=_meta("HAVEN_RETENTION_DAYS", min=1))
    """Decisions, reviews and webhook deliveries older than this are purged."""
    conversation_window_seconds: int = field(
        default=604_800, metadata=_meta("HAVEN_CONVERSATION_WINDOW_SECONDS", min=60)
    )
    """How long the conversation state (who replied to whom, categories, verdicts; no text) is kept."""
    counter_window_seconds: int = field(default=604_800, metadata=_meta("HAVEN_COUNTER_WINDOW_SECONDS", min=60))
    """How long each author's repeat-behaviour history (category, post, time; no text) is kept."""


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    max_attempts: int = field(default=12, metadata=_meta("HAVEN_WEBHOOK_MAX_ATTEMPTS", min=1, max=50))
    """Delivery attempts per event and subscriber before it is marked failed."""
    retry_base_seconds: float = field(default=5.0, metadata=_meta("HAVEN_WEBHOOK_RETRY_BASE_SECONDS", min=0))
    """First retry delay; each later one is 3× longer, at most half the visibility timeout."""
    allow_private_networks: bool = field(default=False, metadata=_meta("HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS"))
    """Allow webhook URLs on loopback and private networks (cloud metadata addresses never are)."""
    timeout_seconds: float = field(default=10.0, metadata=_meta("HAVEN_WEBHOOK_TIMEOUT_SECONDS", min=0.1))
    """How long one delivery attempt waits for the receiver."""


@dataclass(frozen=True, kw_only=True)
class WorkerSettings:
    heartbeat_file: Path = field(
        default=Path("/tmp/haven-worker.alive"),  # noqa: S108
        metadata=_meta("HAVEN_WORKER_HEARTBEAT_FILE"),
    )
    """File a worker touches while it lives; `haven health worker` checks its age."""
    heartbeat_seconds: float = field(default=10.0, metadata=_meta("HAVEN_WORKER_HEARTBEAT_SECONDS", min=0.1))
    """How often a worker touches its heartbeat file."""
    processes: int = field(default=2, metadata=_meta("HAVEN_WORKER_PROCESSES", min=1, max=64))
    """Worker processes `haven worker` runs (each a pool of threads; one process uses about a core at most)."""
    crisis_processes: int = field(default=1, metadata=_meta("HAVEN_WORKER_CRISIS_PROCESSES", min=0, max=16))
    """More worker processes that take only crisis work, so a crisis post never waits behind the
    backlog for a share of a busy process (only when the worker consumes crisis and other queues)."""
    metrics_port: int = field(default=9101, metadata=_meta("HAVEN_WORKER_METRICS_PORT", min=0, max=65535))
    """Port where `haven worker` serves its Prometheus metrics (0: none)."""
    metrics_host: str = field(default="127.0.0.1", metadata=_meta("HAVEN_WORKER_METRICS_HOST"))
    """Address where `haven worker` serves its metrics (0.0.0.0 to let Prometheus in from outside)."""


@dataclass(frozen=True, kw_only=True)
class ModerationSettings:
    public_url: str = field(default="", metadata=_meta("HAVEN_PUBLIC_URL", scheme=("http", "https")))
    """Haven's address as moderators reach it, for the links in alerts (unset: links relative to Haven)."""
    ack_seconds: float = field(default=600.0, metadata=_meta("HAVEN_ESCALATION_ACK_SECONDS", min=0.1))
    """An escalation not acknowledged within this many seconds is sent again as escalation.reminder."""
    reminders: int = field(default=3, metadata=_meta("HAVEN_ESCALATION_REMINDERS", min=0, max=20))
    """Reminders of an unacknowledged escalation before escalation.unacknowledged goes to the on-call list."""
    reminder_growth: float = field(default=2.0, metadata=_meta("HAVEN_ESCALATION_REMINDER_GROWTH", min=1, max=10))
    """Each wait between reminders is this many times the one before (the first is HAVEN_ESCALATION_ACK_SECONDS)."""
    sweep_seconds: float = field(default=5.0, metadata=_meta("HAVEN_ESCALATION_SWEEP_SECONDS", min=0.1, max=600))
    """How often the scheduler (embedded: the API process) looks for reminders that are due."""
    claim_seconds: int = field(default=900, metadata=_meta("HAVEN_QUEUE_CLAIM_SECONDS", min=10))
    """How long a moderator's claim on a queue item lasts unless they review or acknowledge it first."""
    crisis_in_row: int = field(default=3, metadata=_meta("HAVEN_QUEUE_CRISIS_IN_ROW", min=0))
    """Crisis items one moderator claims in a row before the queue puts other work first for them (0: no cap)."""
    blur_evidence: bool = field(default=True, metadata=_meta("HAVEN_QUEUE_BLUR_EVIDENCE"))
    """The queue leaves evidence text out until a moderator claims (opens) the item."""

    def link(self, path: str) -> str:
        """An absolute link when HAVEN_PUBLIC_URL is set, else the path itself."""
        return self.public_url.rstrip("/") + path


@dataclass(frozen=True, kw_only=True)
class LogSettings:
    level: str = field(default="INFO", metadata=_meta("HAVEN_LOG_LEVEL", choices=LOG_LEVELS))
    """Least severe log level written (JSON lines on stderr)."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    server: ServerSettings
    queue: QueueSettings
    database: DatabaseSettings
    policy: PolicySettings
    privacy: PrivacySettings
    webhooks: WebhookSettings
    worker: WorkerSettings
    moderation: ModerationSettings
    log: LogSettings

    @property
    def embedded(self) -> bool:
        return self.queue.embedded

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        groups = {f.name: _read_group(f.type, env) for f in dataclasses.fields(cls)}
        settings = cls(**groups)
        if settings.queue.redis_url is not None and settings.database.url is None:
            raise SettingsError(
                "HAVEN_DATABASE_URL",
                "must be set when HAVEN_REDIS_URL is (workers and API share one database)",
            )
        if settings.queue.state_redis_url is not None and settings.queue.redis_url is None:
            raise SettingsError(
                "HAVEN_STATE_REDIS_URL",
                "needs HAVEN_REDIS_URL too (without it Haven runs embedded, its state in memory)",
            )
        if settings.queue.state_redis_cluster:
            _check_state_cluster(settings.queue)
        return settings


def _check_state_cluster(queue: QueueSettings) -> None:
    if queue.state_redis_url is None:
        raise SettingsError(
            "HAVEN_STATE_REDIS_CLUSTER",
            "needs HAVEN_STATE_REDIS_URL (the Celery broker on HAVEN_REDIS_URL cannot run on a Redis Cluster)",
        )
    if urlsplit(queue.state_redis_url).path not in ("", "/", "/0"):
        raise SettingsError("HAVEN_STATE_REDIS_URL", "a Redis Cluster has database 0 only: end the URL with /0")
    if "{" in queue.key_prefix:
        raise SettingsError(
            "HAVEN_REDIS_KEY_PREFIX",
            "holds a '{', a hash tag: on a Redis Cluster it would put every state key in one slot",
        )


GROUPS: tuple[type[Any], ...] = (
    ServerSettings,
    QueueSettings,
    DatabaseSettings,
    PolicySettings,
    PrivacySettings,
    WebhookSettings,
    WorkerSettings,
    ModerationSettings,
    LogSettings,
)
_GROUP_BY_NAME = {g.__name__: g for g in GROUPS}


def _read_group(type_name: Any, env: Mapping[str, str]) -> Any:
    group = _GROUP_BY_NAME[type_name] if isinstance(type_name, str) else type_name
    values = {}
    for f in dataclasses.fields(group):
        var = f.metadata["env"]
        raw = env.get(var)
        if raw is None or raw == "":
            if "default_from" in f.metadata:  # a default that depends on the environment read
                values[f.name] = f.metadata["default_from"](env)
            continue
        values[f.name] = _parse(var, raw.strip(), f.default, f.metadata)
    return group(**values)


def _parse(var: str, raw: str, default: Any, meta: Mapping[str, Any]) -> Any:
    kind: type[Any] = type(default) if default is not None else str
    value: Any
    if kind is bool:
        value = _parse_bool(var, raw)
    elif kind in (int, float):
        value = _convert(var, raw, kind, f"must be a number, not {raw!r}")
        low, high = meta.get("min"), meta.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SettingsError(var, f"must be between {low} and {high}, not {raw}")
    elif isinstance(default, Path):
        value = Path(raw).expanduser()
        if meta.get("is_dir") and not value.is_dir():
            raise SettingsError(var, f"{raw} is not a folder")
    else:
        value = raw
        if "choices" in meta:
            value = raw.upper()
            if value not in meta["choices"]:
                raise SettingsError(var, f"must be one of {', '.join(meta['choices'])}")
        if "scheme" in meta and raw.split("://", 1)[0] not in meta["scheme"]:
            raise SettingsError(var, f"must be a URL starting {' or '.join(s + '://' for s in meta['scheme'])}")
    return value


def _convert(var: str, raw: str, kind: Callable[[str], T], message: str) -> T:
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(var, message) from None


def _parse_bool(var: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(var, f"must be true or false, not {raw!r}")


def documented_variables() -> list[tuple[str, str, str]]:
    """(variable, default, description) of every setting, for docs and `--help`."""
    import ast
    import inspect

    rows = []
    for group in GROUPS:
        docs: dict[str, str] = {}
        body = ast.parse(inspect.getsource(group)).body[0]
        assert isinstance(body, ast.ClassDef)
        previous: str | None = None
        for node in body.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                previous = node.target.id
            elif (
                previous
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                docs[previous] = node.value.value
                previous = None
        for f in dataclasses.fields(group):
            default = "" if f.default is None else str(f.default)
            rows.append((f.metadata["env"], default, docs.get(f.name, "")))
    return rows
