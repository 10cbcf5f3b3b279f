"""`haven worker --processes N`: N Celery worker processes kept running by one supervisor.

Why processes at all: a worker spends most of a task holding the interpreter lock (the
engine, encoding, the database driver), so one process of threads tops out near one core;
two processes of threads measured well above one (bench/README.md, "Worker processes").
Celery's own prefork pool hands one task at a time to each child and was slower at every
setting, so each child here is an ordinary threads-pool worker and this module only starts,
watches and stops them.

The children share the parent's process group (a SIGKILL of the group, as when a node dies,
takes them all), its stdout and stderr, and its Prometheus multiprocess directory; the parent
serves the metrics. A child that exits while the group is running is started again after a
pause that doubles, up to a minute, while children keep dying young. A child whose
supervisor vanishes stops itself (`watch_supervisor`), so no worker outlives its group.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("haven.worker")

SUPERVISOR_ENV = "HAVEN_WORKER_SUPERVISOR_PID"
"""Set in each child to its supervisor's pid: the child runs as one plain worker process."""

# How much lower the scheduling priority of the processes that take ordinary work is, when
# crisis-only processes run beside them (`nice`): on a saturated node the crisis processes
# get the CPU first. Measured on a 2-core machine working off a backlog (bench/README.md).
GENERAL_NICENESS = 5

# A child that lived this long before it exited is not "dying young": its restart is immediate.
HEALTHY_SECONDS = 60.0
MAX_PAUSE_SECONDS = 60.0


@dataclass
class _Child:
    number: int
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    pause: float = 0.0
    restart_at: float | None = None


@dataclass
class WorkerGroup:
    """Runs each of `commands` (the argv of one worker process each) until told to stop."""

    commands: Sequence[Sequence[str]]
    poll_seconds: float = 0.5
    _stopping: threading.Event = field(default_factory=threading.Event)
    _signals: int = 0
    _children: list[_Child] = field(default_factory=list)

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        self._children = [_Child(number, command) for number, command in enumerate(self.commands, 1)]
        for child in self._children:
            self._start(child)
        while not self._stopping.wait(self.poll_seconds):
            now = time.monotonic()
            for child in self._children:
                self._tend(child, now)
        return self._stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals == 1:
            self._stopping.set()
        else:
            # A second signal: the operator will not wait for tasks to finish (Celery's cold
            # shutdown; unfinished tasks go back to the queue, as tasks are acknowledged late).
            self._send(signal.SIGQUIT)

    def _start(self, child: _Child) -> None:
        env = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
        child.process = subprocess.Popen(list(child.command), env=env)  # noqa: S603 - our own argv
        child.started = time.monotonic()
        child.restart_at = None
        queues = next((a.split("=", 1)[1] for a in child.command if a.startswith("--queues=")), "")
        log.info(
            "worker.process_started", extra={"count": child.number, "worker_pid": child.process.pid, "queue": queues}
        )

    def _tend(self, child: _Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child)
            return
        assert child.process is not None
        code = child.process.poll()
        if code is None:
            return
        lived = now - child.started
        child.pause = 0.0 if lived >= HEALTHY_SECONDS else min(max(child.pause * 2, 1.0), MAX_PAUSE_SECONDS)
        child.restart_at = now + child.pause
        log.warning(
            "worker.process_exited",
            extra={
                "count": child.number,
                "worker_pid": child.process.pid,
                "exit_code": code,
                "retry_in_s": child.pause,
            },
        )

    def _live(self) -> list[subprocess.Popen[bytes]]:
        return [c.process for c in self._children if c.process is not None and c.process.poll() is None]

    def _send(self, signum: int) -> None:
        for process in self._live():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)

    def _stop(self) -> int:
        """Warm shutdown: each child finishes the tasks it holds, then exits."""
        live = self._live()
        self._send(signal.SIGTERM)
        codes = [p.wait() for p in live]
        log.info("worker.stopped", extra={"count": len(live)})
        return 0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1


def child_command(argv: Sequence[str]) -> list[str]:
    """The argv of one supervised worker process: a `haven worker` of one process."""
    return [sys.executable, "-m", "haven.cli.main", "worker", *argv, "--processes", "1", "--crisis-processes", "0"]


def watch_supervisor(every_seconds: float = 1.0) -> None:
    """In a supervised child: stop (warm, as on SIGTERM) once the supervisor is gone, so a
    supervisor killed on its own never leaves its workers running unwatched."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if not supervisor:
        return

    def watch() -> None:
        while os.getppid() == int(supervisor):
            time.sleep(every_seconds)
        log.warning("worker.supervisor_gone", extra={"worker_pid": int(supervisor)})
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="haven-supervisor-watch", daemon=True).start()
