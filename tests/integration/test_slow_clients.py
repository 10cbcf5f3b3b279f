"""Clients that send headers or a body too slowly are cut off; the worker's metrics stay
on loopback unless told otherwise."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import WorkerHandle
from tests.integration.harness import free_port, haven_env, start_api, start_worker

pytestmark = pytest.mark.integration


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (reads to end of stream)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_slow_headers_and_slow_bodies_are_cut_off(tmp_path: Path) -> None:
    env = haven_env(
        HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"),
        HAVEN_HEADER_TIMEOUT_SECONDS="1",
        HAVEN_BODY_TIMEOUT_SECONDS="1",
    )
    process, base = start_api(env, tmp_path / "serve.log")
    port = int(base.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port)) as headers_slowly:
            headers_slowly.sendall(b"POST /v1/posts HTTP/1.1\r\nHost: x\r\n")
            assert closed_within(headers_slowly, 5)
        with socket.create_connection(("127.0.0.1", port)) as body_slowly:
            body_slowly.sendall(b"POST /v1/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            assert closed_within(body_slowly, 5)
        with socket.create_connection(("127.0.0.1", port)) as idle:
            time.sleep(0.5)
            assert not closed_within(idle, 0.2), "a connection opened a moment ago is not cut off yet"
        # A prompt client is unaffected, request after request on one connection.
        with httpx.Client(base_url=base) as client:
            for _ in range(3):
                assert client.get("/healthz").status_code == 200
                time.sleep(0.4)
    finally:
        process.stop()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets listening on `port`, from /proc/net/tcp (hex, little-endian)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_worker_serves_its_metrics_on_loopback_by_default(worker: WorkerHandle, tmp_path: Path) -> None:
    port = free_port()
    worker.process.stop()
    metered = start_worker({**worker.env, "HAVEN_WORKER_METRICS_PORT": str(port)}, tmp_path / "metered.log")
    worker.replace(metered)
    assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1
