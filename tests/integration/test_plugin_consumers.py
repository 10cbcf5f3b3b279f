"""`haven plugins NAME run` keeps a plugin's long-running consumer going in a process of its
own (full mode), hands what it receives to the queue like the API, and stops on SIGTERM;
embedded, it leaves the consumers to `haven serve`."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from haven.config import Settings
from haven.domain import Author, Post
from haven.tasks import CeleryWorkQueue

from tests.integration.harness import (
    HavenProcess,
    delete_keys,
    full_mode_env,
    haven_env,
    new_key_prefix,
    run_haven,
    serving,
    wait_until,
)

pytestmark = pytest.mark.integration

COMMUNITY = "peer-support"


@pytest.fixture
def stream() -> Iterator[tuple[str, list[str]]]:
    """A platform whose event stream sends one post, then a ping line until the consumer hangs up."""
    seen: list[str] = []
    closing = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("connection", "close")
            self.end_headers()
            lines = [{"type": "post", "id": "s1", "author": "u1", "text": "a hard week"}]
            try:
                while not closing.is_set():
                    self.wfile.write(json.dumps(lines.pop() if lines else {"type": "ping"}).encode() + b"\n")
                    self.wfile.flush()
                    closing.wait(0.05)
            except OSError:  # the consumer hung up
                return

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
        closing.set()


def example_env(base_url: str) -> dict[str, str]:
    return {
        "HAVEN_EXAMPLE_BASE_URL": base_url,
        "HAVEN_EXAMPLE_WEBHOOK_SECRET": "secret",
        "HAVEN_EXAMPLE_COMMUNITY": COMMUNITY,
    }


def test_plugins_run_keeps_the_stream_and_queues_what_it_receives(
    tmp_path: Path, redis_url: str, postgres_url: str, stream: tuple[str, list[str]]
) -> None:
    base_url, seen = stream
    prefix = new_key_prefix()
    env = full_mode_env(redis_url, prefix, postgres_url, tmp_path, **example_env(base_url))
    process = HavenProcess(("plugins", "example", "run"), env, tmp_path / "consumer.log").start()
    try:
        wait_until(lambda: seen == ["/stream"])
        wait_until(lambda: '"plugin.consumer_running"' in process.logs())
        post = Post(platform="example", community=COMMUNITY, external_id="s1", author=Author(id="u1"))
        work = CeleryWorkQueue.from_settings(Settings.from_env(env))
        try:
            wait_until(lambda: work.is_pending(COMMUNITY, post.decision_id()))
        finally:
            work.close()
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
        assert process.process.wait(timeout=30) == 0, process.logs()
        process.process = None
    finally:
        process.stop()
        delete_keys(redis_url, prefix)


def test_plugins_run_embedded_leaves_the_consumers_to_serve(tmp_path: Path, stream: tuple[str, list[str]]) -> None:
    base_url, seen = stream
    env = haven_env(HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"), **example_env(base_url))
    shown = run_haven("plugins", "example", "run", env=env)
    assert shown.returncode == 2
    assert "`haven serve` runs the plugins' consumers" in shown.stderr
    assert seen == []
