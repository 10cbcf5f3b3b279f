"""`haven serve`, `haven worker`, `haven scheduler`, `haven migrate`, `haven health worker|scheduler`.

Imports stay inside the handlers: `haven worker` must set up multiprocess
metrics before anything imports prometheus_client.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

from haven.cli.settings_loading import check_policies, check_services, load_settings
from haven.cli.worker_processes import GENERAL_NICENESS, SUPERVISOR_ENV, WorkerGroup, child_command, watch_supervisor
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE, QUEUES

if TYPE_CHECKING:
    from haven.config import Settings

DEFAULT_THREADS = 4


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API (embedded without Redis)")
    serve.add_argument("--host", help="address to listen on (default: HAVEN_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: HAVEN_PORT, 8000)")
    serve.set_defaults(handler=run_serve)

    worker = commands.add_parser("worker", help="run a Celery worker that evaluates posts")
    worker.add_argument(
        "--queues",
        default=",".join(QUEUES),
        help="comma-separated queues to consume, crisis first (default: crisis,default)",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help=f"tasks at once: threads or processes (default: {DEFAULT_THREADS} threads, or one process per CPU)",
    )
    worker.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes, each with its own threads (default: HAVEN_WORKER_PROCESSES, 2); "
        "one process uses about one core at most",
    )
    worker.add_argument(
        "--crisis-processes",
        type=int,
        default=None,
        help="more processes that take only crisis work, when the worker consumes crisis and other "
        "queues (default: HAVEN_WORKER_CRISIS_PROCESSES, 1)",
    )
    # Set by `haven worker` on the processes it starts (see GENERAL_NICENESS), not by people.
    worker.add_argument("--niceness", type=int, default=0, help=argparse.SUPPRESS)
    worker.add_argument(
        "--pool",
        choices=("threads", "prefork", "solo"),
        default="threads",
        help="threads in one process (default: the work mostly waits on the database and Redis), "
        "or prefork processes (hard time limits, more memory)",
    )
    worker.set_defaults(handler=run_worker)

    scheduler = commands.add_parser("scheduler", help="run Celery beat: retention purge and more")
    scheduler.set_defaults(handler=run_scheduler)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(handler=run_migrate)

    health = commands.add_parser("health", help="liveness checks for probes")
    checks = health.add_subparsers(dest="check", required=True, metavar="CHECK")
    worker_check = checks.add_parser("worker", help="exit 0 if the worker's heartbeat is fresh")
    worker_check.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")
    worker_check.set_defaults(handler=run_health_heartbeat, process="worker")
    scheduler_check = checks.add_parser("scheduler", help="exit 0 if the scheduler's heartbeat is fresh")
    scheduler_check.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")
    scheduler_check.set_defaults(handler=run_health_heartbeat, process="scheduler")


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from haven.app import create_app
    from haven.heap import freeze_start_up_heap
    from haven.http_server import timed_protocol
    from haven.logging import configure_logging
    from haven.policy import compiled
    from haven.services import build_services

    settings = load_settings()
    check_policies(settings)
    if not settings.embedded:
        check_services(settings)
    configure_logging(settings.log.level)
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    log = logging.getLogger("haven")
    if settings.embedded:
        print(
            f"haven: running embedded: {embedded_database(settings)}, evaluation in-process; "
            "set HAVEN_REDIS_URL and HAVEN_DATABASE_URL to run with Redis, Celery workers "
            "and PostgreSQL",
            file=sys.stderr,
        )
    services = build_services(settings)
    log.info(
        "haven.starting",
        extra={
            "mode": services.mode,
            "host": host,
            "port": port,
            "policy_dir": str(settings.policy.directory),
            "policy_version": services.policies.current().version,
            # False where the scan's Cython extension was not built: judging alike, slower.
            "compiled_scan": compiled.core is not None,
        },
    )
    server = settings.server
    app = create_app(settings, services)
    # Last of the start-up hooks: what they open (plugins, the broker's producer) is kept too.
    app.on_startup.append(freeze_start_up_heap)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        http=timed_protocol(server.header_timeout_seconds, server.body_timeout_seconds),
    )
    return 0


def embedded_database(settings: Settings) -> str:
    """The database `haven serve` and `haven keys` use, as they print it: never its password."""
    if settings.database.url is None:
        return f"SQLite database {settings.database.embedded_path}"
    from sqlalchemy.engine import make_url

    return "database " + make_url(settings.database.url).render_as_string(hide_password=True)


def run_worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.embedded:
        return _needs_redis("worker", "without it, `haven serve` evaluates in-process")
    supervised = bool(os.environ.get(SUPERVISOR_ENV))
    if not supervised:  # a supervisor checked them once for all its processes
        check_policies(settings)
        check_services(settings)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="haven-metrics-"))
    from haven.logging import configure_logging

    configure_logging(settings.log.level)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        print(f"haven: unknown queue(s): {', '.join(unknown)}", file=sys.stderr)
        return 2

    processes = args.processes if args.processes is not None else settings.worker.processes
    crisis = args.crisis_processes if args.crisis_processes is not None else settings.worker.crisis_processes
    if processes < 1 or crisis < 0:
        print("haven: --processes must be 1 or more, --crisis-processes 0 or more", file=sys.stderr)
        return 2
    if CRISIS_QUEUE not in queues or len(queues) == 1:
        crisis = 0  # a worker of the crisis queue alone, or not of it, has nothing to keep apart
    if settings.worker.metrics_port and not supervised:
        _serve_worker_metrics(settings.worker.metrics_host, settings.worker.metrics_port)
    if processes + crisis > 1 and args.pool != "prefork":
        # The supervisor itself builds no Celery app: its processes do.
        # With crisis-only processes beside them, the others yield the CPU to those: a crisis
        # post is judged and its alert sent while the ordinary backlog waits its turn.
        general = _worker_options(args, queues) + ([f"--niceness={GENERAL_NICENESS}"] if crisis else [])
        return WorkerGroup(
            [child_command(general)] * processes + [child_command(_worker_options(args, [CRISIS_QUEUE]))] * crisis
        ).run()
    if args.niceness:
        os.nice(args.niceness)
    from haven.tasks import create_celery_app

    # A line per task received and succeeded says nothing the decision logs do not.
    for chatty in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(settings.log.level)))
    app = create_celery_app(settings)
    watch_supervisor()
    _start_heartbeat(settings)
    _start_consumers(settings)
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--loglevel={settings.log.level}",
        f"--hostname=haven-{socket.gethostname()}-{os.getpid()}@%h",
        "--without-mingle",
        "--without-gossip",
    ]
    concurrency = args.concurrency or (DEFAULT_THREADS if args.pool == "threads" else None)
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    argv.append(f"--pool={args.pool}")
    if args.pool != "prefork":
        # Threads (or solo) judge in this process: ready only once it can judge, so no post
        # waits on the policy pack being compiled inside a task.
        from haven.tasks import build_runtime_at_start

        build_runtime_at_start()
    app.worker_main(argv)
    return 0


def _worker_options(args: argparse.Namespace, queues: list[str]) -> list[str]:
    """The options of one supervised process of this `haven worker`."""
    options = [f"--queues={','.join(queues)}", f"--pool={args.pool}"]
    if args.concurrency:
        options.append(f"--concurrency={args.concurrency}")
    return options


def _needs_redis(command: str, why: str) -> int:
    print(
        f"haven: configuration error: HAVEN_REDIS_URL: `haven {command}` needs Redis ({why})",
        file=sys.stderr,
    )
    return 2


def _start_consumers(settings: Settings) -> None:
    """The plugins' long-running consumers, in this worker's main process: a lease in Redis
    lets one process of all the workers (and `haven plugins NAME run`) run each."""
    import atexit

    from haven.plugins.consumers import supervise
    from haven.services import build_services

    services = build_services(settings)
    if any(plugin.consumers() for plugin in services.plugins.active.values()):
        atexit.register(supervise(services).stop)
    else:
        services.close()


def _serve_worker_metrics(host: str, port: int) -> None:
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)


def _start_heartbeat(settings: Settings) -> None:
    """Touch the heartbeat file while this process lives; `haven health` reads its age, so
    Kubernetes liveness needs neither `celery inspect ping` nor a broker round trip."""
    from haven.tasks import touch_heartbeat

    def beat() -> None:
        while True:
            touch_heartbeat(settings)
            time.sleep(settings.worker.heartbeat_seconds)

    threading.Thread(target=beat, name="haven-heartbeat", daemon=True).start()


def run_scheduler(args: argparse.Namespace) -> int:
    from haven.logging import configure_logging
    from haven.services import build_services
    from haven.sweeper import Sweeper
    from haven.tasks import PURGE, create_celery_app

    settings = load_settings()
    if settings.embedded:
        return _needs_redis("scheduler", "embedded mode purges inside `haven serve`")
    check_services(settings)
    configure_logging(settings.log.level)
    # The active plugins' periodic tasks (pollers) join the beat schedule.
    services = build_services(settings)
    schedule = services.platform.schedule() if services.platform is not None else {}
    # The sweeper runs here, beside beat, not as a task: it must work when the queues do not.
    Sweeper(services.store, services.work, after_seconds=settings.queue.sweep_after_seconds).run_every(
        settings.queue.sweep_every_seconds, threading.Event()
    )
    app = create_celery_app(settings, schedule=schedule)
    _start_heartbeat(settings)
    # Retention is enforced at start too, not only an hour after it.
    app.send_task(PURGE, queue=DEFAULT_QUEUE)
    schedule_file = os.path.join(tempfile.gettempdir(), f"haven-beat-{os.getpid()}")
    beat: Any = app.Beat(loglevel=settings.log.level, schedule=schedule_file)
    beat.run()
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from haven.cli.startup_failures import database_failure, fail
    from haven.store.migrate import upgrade
    from haven.store.sql import make_engine

    settings = load_settings()
    url = settings.database.effective_url
    engine = make_engine(url, prepared_statements=settings.database.prepared_statements)
    try:
        upgrade(engine)
    except OperationalError as exc:  # could not connect; a failing migration still shows its traceback
        fail(database_failure(url, exc), exc)
    finally:
        engine.dispose()
    print("haven: database schema is up to date", file=sys.stderr)
    return 0


def run_health_heartbeat(args: argparse.Namespace) -> int:
    settings = load_settings()
    path = settings.worker.heartbeat_file
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"haven: no {args.process} heartbeat at {path}", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"haven: {args.process} heartbeat is {age:.0f}s old (limit {args.max_age:.0f}s)", file=sys.stderr)
        return 1
    return 0
