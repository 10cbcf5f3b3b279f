"""The supervisor keeps plugins' consumers running: back-off after a failure, one process at a
time per consumer (a lease in the KeyValue, real Redis here), health for /readyz."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from haven.plugins.consumers import Supervisor, read_health
from haven.plugins.host import MemoryKeyValue, RedisKeyValue
from haven.plugins.protocol import Consumer

REDIS_URL = "redis://127.0.0.1:6379/9"


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


@pytest.fixture
def redis_kv() -> Iterator[RedisKeyValue]:
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-consumers:{uuid.uuid4().hex}:"
    yield RedisKeyValue(client, prefix)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_a_failing_consumer_is_started_again_and_its_error_reported() -> None:
    runs: list[float] = []

    def run(stop: threading.Event) -> None:
        runs.append(time.monotonic())
        if len(runs) < 4:
            raise ConnectionError("platform away")
        stop.wait()

    kv = MemoryKeyValue()
    supervisor = Supervisor({"demo/socket": Consumer(run=run)}, kv, backoff_seconds=0.01, lease_seconds=1)
    supervisor.start()
    try:
        eventually(lambda: len(runs) == 4)
        eventually(lambda: read_health(kv, ["demo/socket"])["demo/socket"].state == "running")
        health = read_health(kv, ["demo/socket"])["demo/socket"]
        assert health.restarts == 3
        assert health.last_error == "ConnectionError"
    finally:
        supervisor.stop()
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    # Back-off doubles: each wait at least the one before it (0.01, 0.02, 0.04 s).
    assert gaps[1] >= 0.02
    assert gaps[2] >= 0.04
    assert read_health(kv, ["demo/socket"])["demo/socket"].state == "stopped"


def test_a_consumer_no_process_runs_reads_not_running() -> None:
    assert read_health(MemoryKeyValue(), ["demo/socket"])["demo/socket"].state == "not running"


def test_two_processes_run_one_copy_and_the_second_takes_over(redis_kv: RedisKeyValue) -> None:
    running: list[str] = []
    lock = threading.Lock()

    def consumer(name: str) -> Consumer:
        def run(stop: threading.Event) -> None:
            with lock:
                running.append(name)
            stop.wait()
            with lock:
                running.remove(name)

        return Consumer(run=run)

    first = Supervisor({"demo/socket": consumer("first")}, redis_kv, lease_seconds=2)
    second = Supervisor({"demo/socket": consumer("second")}, redis_kv, lease_seconds=2)
    first.start()
    eventually(lambda: running == ["first"])
    second.start()
    try:
        time.sleep(2.5)  # longer than the lease: the first keeps renewing it
        assert running == ["first"]
        first.stop()
        eventually(lambda: running == ["second"])
        # The first wrote `stopped` before letting the lease go; the second writes `running` after.
        eventually(lambda: read_health(redis_kv, ["demo/socket"])["demo/socket"].state == "running")
    finally:
        first.stop()
        second.stop()
    assert running == []
