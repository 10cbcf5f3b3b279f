"""A stand-in of the made-up platform: its event stream (one JSON object a line, a ping line
between events) and its moderation API, on a loopback HTTP server."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from haven.plugins.testing import serving

PING_SECONDS = 0.05
SECRET = "webhook-secret"


@dataclass
class StandIn:
    base_url: str
    # Events for the next stream connection to send; `None` closes that connection.
    events: queue.Queue[dict[str, Any] | None] = field(default_factory=queue.Queue)
    connections: int = 0
    hidden: list[str] = field(default_factory=list)
    notified: list[dict[str, Any]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)


@contextmanager
def stand_in() -> Iterator[StandIn]:
    holder: list[StandIn] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state = holder[0]
            if self.path != "/stream":
                self.send_error(404)
                return
            state.connections += 1
            state.connected.set()
            self.send_response(200)
            self.send_header("content-type", "application/x-ndjson")
            self.send_header("connection", "close")
            self.end_headers()
            while True:
                try:
                    event = state.events.get(timeout=PING_SECONDS)
                except queue.Empty:
                    event = {"type": "ping"}
                if event is None:
                    return
                try:
                    self.wfile.write(json.dumps(event).encode() + b"\n")
                    self.wfile.flush()
                except OSError:  # the consumer hung up (it was stopped)
                    return

        def do_POST(self) -> None:
            if self.path == "/moderators/notify":
                length = int(self.headers.get("content-length", "0"))
                holder[0].notified.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "posts" and parts[2] in ("hide", "unhide"):
                holder[0].hidden.append(f"{parts[2]} {parts[1]}")
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            self.send_error(404)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(StandIn(base_url=f"http://127.0.0.1:{server.server_address[1]}"))
    with serving(server):
        yield holder[0]
