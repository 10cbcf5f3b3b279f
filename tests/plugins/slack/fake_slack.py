"""A loopback HTTP server standing in for Slack's Web API; it records every call."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.integration.harness import serving


@dataclass
class Call:
    method: str
    token: str
    body: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    server: ThreadingHTTPServer
    calls: list[Call] = field(default_factory=list)
    locales: dict[str, str] = field(default_factory=dict)
    # (method, user) -> (times left, Retry-After seconds): answer 429 that many times.
    rate_limits: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/api"

    def limit(self, method: str, user: str, times: int, retry_after: int) -> None:
        """Answer 429 with Retry-After to the next `times` calls of `method` about `user`."""
        with self.lock:
            self.rate_limits[(method, user)] = (times, retry_after)

    def to(self, method: str, **where: Any) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and all(c.body.get(k) == v for k, v in where.items())]

    def answer(self, method: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        status, headers, answer = self._answer(method, body)
        with self.lock:
            self.calls.append(Call(method, token, body, answer))
        return status, headers, answer

    def _answer(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self.lock:
            key = (method, str(body.get("user", "")))
            times, wait = self.rate_limits.get(key, (0, 0))
            if times:
                self.rate_limits[key] = (times - 1, wait)
                return 429, {"retry-after": str(wait)}, {"ok": False, "error": "ratelimited"}
            ts = f"1800000000.{next(self._ts):06d}"
        if method == "users.info":
            user = body.get("user", "")
            return 200, {}, {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "en-US")}}
        if method == "chat.postMessage":
            return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": ts}
        if method == "chat.getPermalink":
            return 200, {}, {"ok": True, "permalink": f"https://example.slack.com/archives/{body.get('channel')}/p1"}
        if method in ("chat.delete", "chat.update"):
            return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "auth.test":
            return 200, {}, {"ok": True, "team_id": "T1", "user_id": "UBOT"}
        return 200, {}, {"ok": False, "error": "unknown_method"}


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    holder: list[FakeSlack] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            if "json" in self.headers.get("content-type", ""):
                body = json.loads(raw or b"{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            status, headers, answer = holder[0].answer(self.path.rsplit("/", 1)[-1], token, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {**headers, "content-type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeSlack(server)
    holder.append(fake)
    with serving(server):
        yield fake
