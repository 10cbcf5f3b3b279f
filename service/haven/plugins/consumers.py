"""Runs the plugins' long-running consumers: each in a thread of its own, started again with
back-off when it ends or fails, in one process at a time, its health in the KeyValue.

A consumer is a connection a platform keeps open to hand over events (Discord's Gateway, a
Matrix sync loop, a Mastodon stream). `haven worker`, `haven plugins NAME run` and an embedded
`haven serve` each run a Supervisor; a lease in the KeyValue (Redis in full mode) lets one
process at a time run each consumer, so that running several workers opens one connection.
The API reads the health records for /readyz.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
from msgspec import Meta

from haven.plugins.protocol import Consumer, KeyValue, Plugin

if TYPE_CHECKING:
    from haven.services import Services

log = logging.getLogger("haven.plugins")

LEASE_KEY = "haven:consumer-lease:"
HEALTH_KEY = "haven:consumer-health:"
ConsumerState = Literal["running", "restarting", "stopped", "not running"]


class ConsumerHealth(msgspec.Struct, kw_only=True):
    """How one plugin consumer fares, as the process running it last wrote."""

    state: Annotated[
        ConsumerState,
        Meta(
            description="running; restarting (it ended or failed, and waits out its back-off); stopped (its "
            "process stopped it); not running (no process runs it: start `haven worker` or "
            "`haven plugins NAME run`).",
            examples=["running"],
        ),
    ]
    since: Annotated[
        datetime | None, Meta(description="When it entered this state.", examples=["2026-01-05T09:30:00Z"])
    ] = None
    restarts: Annotated[int, Meta(description="How often it was started again since its process began.")] = 0
    last_error: Annotated[
        str | None, Meta(description="The type of the error it last failed with.", examples=["ConnectError"])
    ] = None
    process: Annotated[
        str | None, Meta(description="The host and process id running it.", examples=["haven-worker-1:4242"])
    ] = None


def consumer_keys(plugins: Mapping[str, Plugin]) -> dict[str, Consumer]:
    """Every consumer of these plugins, by `plugin/name`."""
    return {
        f"{name}/{key}": consumer for name, plugin in plugins.items() for key, consumer in plugin.consumers().items()
    }


def supervise(services: Services, plugin: str | None = None) -> Supervisor:
    """A started Supervisor of the active plugins' consumers (or of `plugin`'s only)."""
    active = services.plugins.active
    chosen = active if plugin is None else {plugin: active[plugin]}
    supervisor = Supervisor(consumer_keys(chosen), services.plugin_state())
    supervisor.start()
    return supervisor


def read_health(kv: KeyValue, keys: Iterable[str]) -> dict[str, ConsumerHealth]:
    found = {}
    for key in sorted(keys):
        raw = kv.get(HEALTH_KEY + key)
        found[key] = msgspec.json.decode(raw, type=ConsumerHealth) if raw else ConsumerHealth(state="not running")
    return found


class Lease:
    """Who runs a consumer: the first process to `add` its key, for as long as it renews it.

    The KeyValue has no compare-and-set, so renewing reads then writes; should the lease lapse
    in between and another process take it, the next renewal of that process sees a foreign
    holder and stops its copy: two copies can overlap for at most one renewal period."""

    def __init__(self, kv: KeyValue, holder: str, seconds: int) -> None:
        self._kv = kv
        self._holder = holder
        self._seconds = seconds

    def hold(self, key: str) -> bool:
        """Take or renew the lease on `key`; False while another process holds it."""
        name = LEASE_KEY + key
        if self._kv.add(name, self._holder, ttl_seconds=self._seconds):
            return True
        if self._kv.get(name) == self._holder:
            self._kv.set(name, self._holder, ttl_seconds=self._seconds)
            return True
        return False

    def holds(self, key: str) -> bool:
        return self._kv.get(LEASE_KEY + key) == self._holder

    def release(self, key: str) -> None:
        if self.holds(key):
            self._kv.delete(LEASE_KEY + key)


class Supervisor:
    """Starts each consumer, starts it again after it ends or fails (back-off doubling from
    `backoff_seconds` to `max_backoff_seconds`, reset once a run outlasts the longest wait),
    and stops them all on `stop`."""

    def __init__(
        self,
        consumers: Mapping[str, Consumer],
        kv: KeyValue,
        *,
        lease_seconds: int = 30,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        stop_grace_seconds: float = 10.0,
    ) -> None:
        self.consumers = dict(consumers)
        self._kv = kv
        self._holder = f"{socket.gethostname()}:{threading.get_native_id()}:{id(self):x}"
        self._lease = Lease(kv, self._holder, lease_seconds)
        self._lease_seconds = lease_seconds
        # Renew well inside the lease, so that a slow Redis round trip does not let it lapse.
        self._renew_seconds = max(lease_seconds / 3, 0.05)
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._grace = stop_grace_seconds
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # One per running consumer: set when it ends or the supervisor stops, so that neither
        # waits for the next lease renewal to be noticed.
        self._wakes: set[threading.Event] = set()

    def start(self) -> None:
        for key, consumer in sorted(self.consumers.items()):
            thread = threading.Thread(target=self._supervise, args=(key, consumer), name=f"haven-supervise-{key}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        if self.consumers:
            log.info("plugin.consumers_started", extra={"consumers": sorted(self.consumers)})

    def request_stop(self) -> None:
        """Ask every consumer to stop (safe in a signal handler); `stop` waits for them."""
        self._stopping.set()
        for wake in list(self._wakes):
            wake.set()

    def stop(self) -> None:
        self.request_stop()
        for thread in self._threads:
            thread.join(self._grace + self._renew_seconds + 1)
        self._threads.clear()

    def wait(self) -> None:
        """Block until `stop` is called (from a signal handler)."""
        while not self._stopping.wait(1.0):
            pass

    def _report(self, key: str, state: ConsumerState, restarts: int, error: str | None = None) -> None:
        record = ConsumerHealth(
            state=state, since=datetime.now(UTC), restarts=restarts, last_error=error, process=self._holder
        )
        try:
            self._kv.set(HEALTH_KEY + key, msgspec.json.encode(record).decode(), ttl_seconds=self._lease_seconds)
        except Exception:
            log.warning("plugin.consumer_health_unwritten", extra={"consumer": key})

    def _supervise(self, key: str, consumer: Consumer) -> None:
        restarts = 0
        failures = 0
        error: str | None = None
        while not self._stopping.is_set():
            try:
                held = self._lease.hold(key)
            except Exception:
                log.warning("plugin.consumer_lease_unavailable", extra={"consumer": key})
                held = False
            if not held:
                self._stopping.wait(self._renew_seconds)
                continue
            started = time.monotonic()
            ended = self._run_while_held(key, consumer, restarts, error)
            if self._stopping.is_set():
                break
            if ended is None:  # the lease went to another process: it runs the consumer now
                continue
            error = ended or None
            failures = 0 if time.monotonic() - started >= self._max_backoff else failures + 1
            delay = min(self._backoff * 2 ** max(failures - 1, 0), self._max_backoff)
            restarts += 1
            log.warning(
                "plugin.consumer_ended",
                extra={"consumer": key, "error": error, "restarts": restarts, "retry_in_seconds": delay},
            )
            self._report(key, "restarting", restarts, error)
            self._stopping.wait(delay)
        try:
            # Only the holder speaks for the consumer, and before it lets the lease go: the
            # process taking over then writes `running` after this.
            if self._lease.holds(key):
                self._report(key, "stopped", restarts, error)
                self._lease.release(key)
        except Exception:
            log.warning("plugin.consumer_lease_unavailable", extra={"consumer": key})

    def _run_while_held(self, key: str, consumer: Consumer, restarts: int, error: str | None) -> str | None:
        """Runs the consumer until it ends (returns the error's type, "" if none), the lease is
        lost or the supervisor stops (returns None)."""
        stop = threading.Event()
        wake = threading.Event()
        outcome: list[str] = []

        def run() -> None:
            try:
                consumer.run(stop)
                outcome.append("")
            except Exception as exc:  # a plugin's failure must not end the supervision
                log.warning("plugin.consumer_failed", extra={"consumer": key, "error": type(exc).__name__})
                outcome.append(type(exc).__name__)
            finally:
                wake.set()

        runner = threading.Thread(target=run, name=f"haven-consumer-{key}", daemon=True)
        self._wakes.add(wake)
        try:
            runner.start()
            log.info("plugin.consumer_running", extra={"consumer": key})
            self._report(key, "running", restarts, error)
            while True:
                if not self._stopping.is_set():
                    wake.wait(self._renew_seconds)
                if wake.is_set() and not self._stopping.is_set():
                    runner.join()  # set by the runner's last line: it is ending
                if not runner.is_alive():
                    return outcome[0] if outcome else ""
                wake.clear()
                try:
                    held = not self._stopping.is_set() and self._lease.hold(key)
                except Exception:
                    log.warning("plugin.consumer_lease_unavailable", extra={"consumer": key})
                    held = False
                if not held:
                    stop.set()
                    runner.join(self._grace)
                    if runner.is_alive():
                        log.error("plugin.consumer_did_not_stop", extra={"consumer": key})
                    return None
                self._report(key, "running", restarts, error)
        finally:
            self._wakes.discard(wake)
