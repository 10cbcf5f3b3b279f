"""What a plugin's own tests need from Haven, shipped with it: a real PluginHost that records
what the plugin hands over, and a loopback HTTP server for a stand-in of the platform.

    from haven.plugins.testing import RecordingHost, serving

    host = RecordingHost()
    plugin = create(env, host)
    plugin.receive_event({...})
    assert host.posts[0].external_id == "42"

Haven's own plugin tests use the same two (tests/plugins/).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Literal

from haven.domain import Decision, Post
from haven.plugins.host import MemoryKeyValue
from haven.plugins.protocol import KeyValue

if TYPE_CHECKING:
    from haven.policy import PolicySet


class RecordingHost:
    """A PluginHost that keeps what it is given and deduplicates posts by their identity like
    the API (a repeat of a post is not kept twice). Given a policy set, it also judges each new
    post at once with the real engine, so `decision()` answers as Haven would.

    `kv` defaults to an in-memory KeyValue; pass Haven's Redis one to test against Redis."""

    def __init__(self, kv: KeyValue | None = None, *, policy_set: PolicySet | None = None) -> None:
        self.kv: KeyValue = kv if kv is not None else MemoryKeyValue()
        self.policy_set = policy_set
        self.posts: list[Post] = []
        self.batches: list[list[Post]] = []
        self.decisions: dict[str, Decision] = {}
        self.reviews: list[tuple[str, str, str]] = []
        self.cancelled: list[tuple[str, str, str]] = []
        self._keys: set[str] = set()
        self._lock = threading.Lock()  # consumers ingest from threads of their own

    def ingest(self, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[str]:
        with self._lock:
            fresh = [p for p in posts if p.key not in self._keys]
            self._keys.update(p.key for p in fresh)
            self.posts.extend(fresh)
            self.batches.append(list(posts))
        if self.policy_set is not None:
            from haven.policy import evaluate

            for post in fresh:
                decision = evaluate(self.policy_set, post, now=received_at or datetime.now(UTC))
                self.decisions[decision.id] = decision
        return [p.decision_id() for p in posts]

    def decision(self, community: str, decision_id: str) -> Decision | None:
        return self.decisions.get(decision_id)

    def record_review(
        self, community: str, decision_id: str, *, outcome: Literal["upheld", "overturned"], moderator: str, note: str
    ) -> bool:
        self.reviews.append((decision_id, outcome, moderator))
        return decision_id in self.decisions

    def cancel_actions(self, community: str, platform: str, external_id: str) -> int:
        self.cancelled.append((community, platform, external_id))
        return 0


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """Run a loopback stand-in's HTTP server on a thread for the length of the block."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
