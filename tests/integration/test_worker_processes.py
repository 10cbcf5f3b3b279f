"""`haven worker --processes N --crisis-processes M`: several worker processes share the work,
crisis-only ones take none of the ordinary posts, a dead one is started again, a SIGTERM stops
them all after their tasks, and none outlives its supervisor."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from haven.cli.worker_processes import GENERAL_NICENESS
from haven.store.sql import SqlStore

from tests.integration.harness import HavenProcess, delete_keys, new_key_prefix, start_api, wait_until
from tests.integration.test_pipeline_end_to_end import a_post

pytestmark = pytest.mark.integration


def children(pid: int) -> set[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(child) for child in listed.split()}


def niceness(pid: int) -> int:
    # /proc/PID/stat: the command sits in parentheses; "nice" is the 17th field after them.
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[16])


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.fixture
def own_env(service_env: dict[str, str], redis_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The session's services under a key prefix of this test's: its queues are apart from the
    session's worker, so only the group under test takes its tasks."""
    prefix = new_key_prefix()
    yield {
        **service_env,
        "HAVEN_REDIS_KEY_PREFIX": prefix,
        "HAVEN_WORKER_HEARTBEAT_FILE": str(tmp_path / "group.alive"),
        "HAVEN_WORKER_METRICS_PORT": "0",
    }
    delete_keys(redis_url, prefix)


def events(process: HavenProcess, name: str) -> list[dict[str, object]]:
    return [e for e in process.log_entries() if str(e.get("event", "")).endswith(name)]


def start_group(env: dict[str, str], log_path: Path) -> HavenProcess:
    args = ("worker", "--processes", "2", "--crisis-processes", "1", "--concurrency", "1")
    group = HavenProcess(args, env, log_path).start()
    wait_until(lambda: len(events(group, " ready.")) >= 3, timeout=90, interval=0.2)
    return group


def test_two_processes_share_the_work_and_a_dead_one_is_replaced(
    own_env: dict[str, str], store: SqlStore, tmp_path: Path
) -> None:
    group = start_group(own_env, tmp_path / "group.log")
    api, base = start_api(own_env, tmp_path / "api.log")
    try:
        assert group.process is not None
        first = children(group.process.pid)
        assert len(first) == 3
        started = {e["worker_pid"]: e["queue"] for e in events(group, "worker.process_started")}
        assert sorted(started.values()) == ["crisis", "crisis,default", "crisis,default"]
        general = {pid for pid, queues in started.items() if queues == "crisis,default"}
        # The crisis-only process comes first for the CPU; the others yield to it. Niceness adds
        # to the group's own (tests run under `nice` here) and stops at 19.
        own = niceness(group.process.pid)
        assert {pid: niceness(pid) for pid in started} == {
            pid: min(19, own + GENERAL_NICENESS) if pid in general else own for pid in started
        }
        # Each process compiled its policies before it said ready: no post waits on that.
        entries = group.log_entries()
        for pid in first:
            said = [str(e.get("event", "")) for e in entries if e.get("pid") == pid]
            assert "worker.runtime_ready" in said, said
            ready = next(i for i, event in enumerate(said) if event.endswith(" ready."))
            assert said.index("worker.runtime_ready") < ready
            # ... and froze what it keeps, out of the garbage collector's full passes (haven.heap).
            assert "process.heap_frozen" in said[:ready]
        assert any(e.get("event") == "process.heap_frozen" for e in api.log_entries())

        community = f"processes-{os.getpid()}-{tmp_path.name}"
        secret, _ = store.create_api_key(community, ["admin"])
        headers = {"authorization": f"Bearer {secret}"}

        def send(n: int) -> None:
            body = f"Day {n} of recovery, and the group helped again today."
            response = httpx.post(f"{base}/v1/posts", json=a_post(community, body), headers=headers, timeout=30)
            assert response.status_code == 202, response.text

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(send, range(120)))

        wait_until(lambda: len(events(group, "decision.stored")) >= 120, timeout=90, interval=0.3)
        deciders = {e["pid"] for e in events(group, "decision.stored")}
        assert deciders == general, "both general processes take ordinary posts; the crisis one none"

        victim = min(general)
        os.kill(victim, signal.SIGKILL)
        pid = group.process.pid

        def replacement() -> set[int] | None:
            now = children(pid)
            return now if len(now) == 3 and len(now - first) == 1 else None

        replaced: set[int] = wait_until(replacement, timeout=30)
        assert victim not in replaced
        assert [e["worker_pid"] for e in events(group, "worker.process_exited")] == [victim]

        group.process.send_signal(signal.SIGTERM)
        assert group.process.wait(timeout=60) == 0
        assert not any(alive(pid) for pid in replaced)
    finally:
        api.stop()
        group.kill_all()


def test_workers_stop_when_their_supervisor_is_killed(own_env: dict[str, str], tmp_path: Path) -> None:
    group = start_group(own_env, tmp_path / "group.log")
    try:
        assert group.process is not None
        workers = children(group.process.pid)
        assert len(workers) == 3
        group.process.send_signal(signal.SIGKILL)
        group.process.wait(timeout=10)
        wait_until(lambda: not any(alive(pid) for pid in workers), timeout=60, interval=0.2)
    finally:
        group.kill_all()
