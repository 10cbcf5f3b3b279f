"""The real parts the integration tests run against, as reusable pieces.

Fixtures in conftest.py wrap these; plugin tests reuse them. Everything is
safe under `pytest -n 2`: each xdist worker gets its own Redis database
number (so its own Celery queues), its own PostgreSQL databases, its own
`haven worker` and API server on free ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import redis
from haven.plugins.testing import serving
from standardwebhooks import Webhook

REPO = Path(__file__).resolve().parents[2]
HAVEN = str(Path(sys.executable).with_name("haven"))
TEST_POLICIES = Path(__file__).resolve().parent / "policies"
REDIS_HOST = os.environ.get("HAVEN_TEST_REDIS", "redis://127.0.0.1:6379")
POSTGRES_ADMIN = os.environ.get("HAVEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
# Redis databases 5 to 12: one per xdist worker, never FLUSHALL.
FIRST_REDIS_DB = 5


def xdist_index(worker_id: str) -> int:
    return int(worker_id.removeprefix("gw")) if worker_id.startswith("gw") else 0


def redis_url_for(worker_id: str) -> str:
    return f"{REDIS_HOST}/{FIRST_REDIS_DB + xdist_index(worker_id) % 8}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll until `condition()` is truthy and return it; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@contextmanager
def postgres_database(prefix: str = "haven_test") -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards. Yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def haven_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        HAVEN_POLICY_DIR=str(TEST_POLICIES),
        HAVEN_POLICY_RELOAD_SECONDS="0.2",
        HAVEN_WORKER_METRICS_PORT="0",
        HAVEN_WEBHOOK_RETRY_BASE_SECONDS="0.2",
        HAVEN_WEBHOOK_TIMEOUT_SECONDS="5",
        # The tests' receivers and platform stand-ins listen on loopback, which Haven refuses
        # by default; an operator allows it the same way for in-cluster receivers.
        HAVEN_WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
        HAVEN_TASK_RETRY_BASE_SECONDS="0.2",
        HAVEN_LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


def full_mode_env(
    redis_url: str, key_prefix: str, database: str, folder: Path, *, visibility_seconds: int = 5, **overrides: str
) -> dict[str, str]:
    """The environment of `haven serve`/`haven worker` on Redis and PostgreSQL, with a heartbeat
    file in `folder` and a short visibility timeout: a killed worker's tasks come back within
    a test, yet later than any task the tests run."""
    settings = {
        "HAVEN_REDIS_URL": redis_url,
        "HAVEN_REDIS_KEY_PREFIX": key_prefix,
        "HAVEN_DATABASE_URL": database,
        "HAVEN_WORKER_HEARTBEAT_FILE": str(folder / "worker.alive"),
        "HAVEN_WORKER_HEARTBEAT_SECONDS": "0.5",
        "HAVEN_VISIBILITY_TIMEOUT_SECONDS": str(visibility_seconds),
        # A post failing every attempt is parked within a second or two; work overdue by
        # 3 s is queued again by the sweeper when a test runs `haven scheduler`.
        "HAVEN_TASK_MAX_ATTEMPTS": "3",
        "HAVEN_WEBHOOK_MAX_ATTEMPTS": "4",
        "HAVEN_SWEEP_AFTER_SECONDS": "3",
        "HAVEN_SWEEP_EVERY_SECONDS": "0.5",
    }
    return haven_env(**{**settings, **overrides})


def run_haven(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HAVEN, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class HavenProcess:
    """A `haven` subprocess whose stderr (JSON logs) is kept in a file for inspection."""

    args: tuple[str, ...]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    executable: str = HAVEN  # another installation's `haven` (the packaging checks)
    cwd: Path | None = None

    def start(self) -> HavenProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [self.executable, *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def stop(self, sig: int | None = None) -> None:
        if self.process is None:
            return
        if sig is None:
            self.process.terminate()
        else:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def kill_all(self) -> None:
        """SIGKILL the process and its children at once, as when a node dies."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_entries(self) -> list[dict[str, Any]]:
        return json_log_entries(self.logs())


def json_log_entries(text: str) -> list[dict[str, Any]]:
    """The JSON log lines of a Haven process's output, parsed (other lines skipped)."""
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def start_worker(env: dict[str, str], log_path: Path, *extra: str) -> HavenProcess:
    worker = HavenProcess(
        ("worker", "--processes", "1", "--crisis-processes", "0", "--concurrency", "2", *extra), env, log_path
    ).start()
    try:
        wait_until(lambda: "ready" in worker.logs(), timeout=90)
    except AssertionError:
        worker.kill_all()
        raise
    return worker


def start_scheduler(env: dict[str, str], log_path: Path) -> HavenProcess:
    """`haven scheduler`: beat and the sweeper that queues overdue work again."""
    scheduler = HavenProcess(("scheduler",), env, log_path).start()
    try:
        wait_until(lambda: "beat: Starting" in scheduler.logs(), timeout=90)
    except AssertionError:
        scheduler.kill_all()
        raise
    return scheduler


def start_api(
    env: dict[str, str], log_path: Path, *, executable: str = HAVEN, cwd: Path | None = None
) -> tuple[HavenProcess, str]:
    port = free_port()
    api = HavenProcess(("serve", "--port", str(port)), env, log_path, executable=executable, cwd=cwd).start()
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert api.process is not None and api.process.poll() is None, api.logs()
        try:
            return httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=90)
    except AssertionError:
        api.kill_all()
        raise
    return api, base


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any = None
    verified: bool = False


@dataclass
class WebhookReceiver:
    """An HTTP server on loopback that verifies each delivery with `standardwebhooks`.

    Register a path with `endpoint(secret)`; deliveries whose signature does not
    verify are kept with `verified=False`. `fail_next(path, n)` answers 500 n times.
    """

    server: ThreadingHTTPServer
    secrets: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def new_path(self) -> str:
        return f"/hooks/{uuid.uuid4().hex}"

    def verify_with(self, path: str, secret: str) -> None:
        with self.lock:
            self.secrets[path] = secret

    def fail_next(self, path: str, times: int) -> None:
        with self.lock:
            self.failures[path] = times

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            secret = self.secrets.get(path)
            failing = self.failures.get(path, 0)
            if failing:
                self.failures[path] = failing - 1
        item = Received(path, headers, body)
        if secret is not None:
            try:
                item.payload = Webhook(secret).verify(body, headers)
                item.verified = True
            except Exception:
                item.verified = False
        with self.lock:
            self.received.append(item)
        return 500 if failing else 204


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    holder: list[WebhookReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = holder[0].handle(self.path, headers, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(server)
    holder.append(receiver)
    with serving(server):
        yield receiver


def redis_answers(url: str) -> bool:
    """Whether a Redis server at `url` answers a PING now."""
    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
    finally:
        client.close()


class OwnRedis:
    """A redis-server of its own on a free loopback port, without persistence (no RDB, no
    AOF), that can be killed and started again empty: never the machine's shared Redis."""

    def __init__(self, folder: Path, *settings: str) -> None:
        """`settings`: more of redis-server's options (`--zset-max-listpack-value`, `512`)."""
        self.port = free_port()
        self.folder = folder
        self.settings = settings
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, *self.settings],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: redis_answers(self.url), timeout=20)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart_empty(self) -> None:
        self.kill()
        self.start()


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (10,000 higher, so at most 65,535) is free too."""
    while True:
        port = random.randint(20_000, 55_000)
        try:
            for candidate in (port, port + 10_000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port


@contextmanager
def redis_cluster(folder: Path, nodes: int = 3) -> Iterator[str]:
    """A Redis Cluster of `nodes` primaries on free loopback ports, nothing kept on disk but
    each node's cluster file in `folder`; yields the URL of its first node. Debian's
    redis-server and redis-cli, as on the machines the tests run on."""
    ports: list[int] = []
    while len(ports) < nodes:
        port = _free_cluster_port()
        if port not in ports:
            ports.append(port)
    started = []
    try:
        for port in ports:
            command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                       "--cluster-config-file", f"nodes-{port}.conf", "--dir", str(folder), "--save", "",
                       "--appendonly", "no", "--logfile", str(folder / f"redis-{port}.log")]  # fmt: skip
            started.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        for port in ports:
            wait_until(lambda port=port: redis_answers(f"redis://127.0.0.1:{port}/0"), timeout=10)
        create = ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0"]
        subprocess.run(
            [*create, "--cluster-yes"], check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=30
        )
        first = redis.Redis(port=ports[0])
        try:
            wait_until(lambda: first.execute_command("CLUSTER INFO").get("cluster_state") == "ok", timeout=10)
        finally:
            first.close()
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=10)


@contextmanager
def pgbouncer(database_url: str, server_connections: int = 3) -> Iterator[str]:
    """Debian's PgBouncer in transaction mode in front of the database at `database_url`, on a
    free loopback port, each transaction on any of `server_connections` server connections
    (as a pooler in front of PostgreSQL at volume runs); yields the database's URL through
    it. PgBouncer will not run as root, so as root it runs as the postgres user, with its
    files in a folder of its own under /tmp (pytest's are closed to other users)."""
    target = urlsplit(database_url)
    name = target.path.lstrip("/")
    user = target.username or "postgres"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="haven-pgbouncer-") as made:
        folder = Path(made)
        (folder / "users.txt").write_text(f'"{user}" ""\n')
        (folder / "pgbouncer.ini").write_text(
            f"[databases]\n{name} = host={target.hostname} port={target.port or 5432} dbname={name}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {folder / 'users.txt'}\npool_mode = transaction\n"
            f"default_pool_size = {server_connections}\nlogfile = {folder / 'pgbouncer.log'}\n"
        )
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_postgres:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres")
        process = subprocess.Popen([*as_postgres, "/usr/sbin/pgbouncer", str(folder / "pgbouncer.ini")])
        try:
            url = f"postgresql://{user}@127.0.0.1:{port}/{name}"
            wait_until(lambda: _answers(url), timeout=10)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=1) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def new_key_prefix() -> str:
    """A `HAVEN_REDIS_KEY_PREFIX` of its own: queues, dedupe keys and counters apart
    from every other test session or benchmark sharing the Redis database."""
    return f"haven-test-{uuid.uuid4().hex[:12]}:"


def delete_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
