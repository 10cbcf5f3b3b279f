"""A stand-in for a Discourse instance: a real HTTP server on loopback that records
every admin API call and answers the way Discourse does for the calls Haven makes."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.integration.harness import serving

API_KEY = "test-admin-api-key"
API_USERNAME = "system"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeDiscourse:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.tags: dict[int, list[str]] = {}
        self.hidden: set[int] = set()
        self.deleted: set[int] = set()
        self.posts: dict[int, dict[str, Any]] = {}
        # Topics Haven opened with a private message, and what was posted in each since.
        self.private_topics: dict[int, dict[str, Any]] = {}
        self.replies: dict[int, list[dict[str, Any]]] = {}
        self._scripted: list[Scripted] = []
        self._next_id = 9000
        self._lock = threading.Lock()
        self.base_url = ""

    def script(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """The next call gets this answer instead of the normal one."""
        with self._lock:
            self._scripted.append(Scripted(status, body, headers or {}))

    def admin_calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c for c in self.calls if (method is None or c.method == method) and (path is None or c.path == path)
            ]

    def topic_of(self, recipients: str, containing: str) -> int:
        """The topic of the private message to `recipients` whose text contains `containing`."""
        with self._lock:
            (topic,) = [
                t for t, b in self.private_topics.items()
                if b["target_recipients"] == recipients and containing in b["raw"]
            ]  # fmt: skip
        return topic

    def private_messages(self) -> list[dict[str, Any]]:
        return [c.body for c in self.admin_calls("POST", "/posts.json") if c.body.get("archetype") == "private_message"]

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, dict[str, str]]:
        body: Any = json.loads(raw) if raw else None
        with self._lock:
            self.calls.append(Call(method, path, headers, body))
            if headers.get("api-key") != API_KEY or headers.get("api-username") != API_USERNAME:
                return 403, {"errors": ["You are not permitted to view the requested resource."],
                             "error_type": "invalid_access"}, {}  # fmt: skip
            if self._scripted:
                answer = self._scripted.pop(0)
                return answer.status, answer.body, answer.headers
            return self._normal(method, path, body)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _normal(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and path == "/post_actions.json":
            post_id = int(body["id"])
            if body.get("take_action") == "true" or body.get("queue_for_review") == "true":
                self.hidden.add(post_id)
            return 200, {"id": post_id, "hidden": post_id in self.hidden}, {}
        if method == "POST" and path == "/posts.json":
            new_id = self._new_id()
            topic_id = body.get("topic_id") or self._new_id()
            if body.get("archetype") == "private_message":
                self.private_topics[topic_id] = body
            elif body.get("topic_id"):
                self.replies.setdefault(topic_id, []).append(body)
            return 200, {"id": new_id, "topic_id": topic_id, "post_number": 1}, {}
        if found := re.fullmatch(r"/posts/(\d+)/unhide", path):
            self.hidden.discard(int(found.group(1)))
            return 200, {"success": "OK"}, {}
        if found := re.fullmatch(r"/posts/(\d+)\.json", path):
            post_id = int(found.group(1))
            if method == "DELETE":
                if post_id in self.deleted:
                    return 404, {"errors": ["not found"], "error_type": "not_found"}, {}
                self.deleted.add(post_id)
                return 200, None, {}
            if post_id in self.posts:
                return 200, self.posts[post_id], {}
            return 404, {"errors": ["not found"], "error_type": "not_found"}, {}
        if found := re.fullmatch(r"/posts/(\d+)/recover\.json", path):
            self.deleted.discard(int(found.group(1)))
            return 200, {}, {}
        if found := re.fullmatch(r"/t/(\d+)\.json", path):
            topic_id = int(found.group(1))
            return 200, {"id": topic_id, "tags": list(self.tags.get(topic_id, []))}, {}
        if found := re.fullmatch(r"/t/-/(\d+)\.json", path):
            self.tags[int(found.group(1))] = list(body.get("tags") or [])
            return 200, {"basic_topic": {"id": int(found.group(1))}}, {}
        if re.fullmatch(r"/t/(\d+)/status\.json|/posts/(\d+)/locked\.json|/admin/users/(\d+)/(un)?silence\.json", path):
            return 200, {"success": "OK"}, {}
        return 404, {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}, {}


@contextmanager
def fake_discourse() -> Iterator[FakeDiscourse]:
    fake = FakeDiscourse()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = fake.handle(self.command, self.path, headers, raw)
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server):
        yield fake
