"""What a plugin's own tests need from Haven, shipped with it: a real PluginHost that records
what the plugin hands over, and a loopback HTTP server for a stand-in of the platform.

    from haven.plugins.testing import RecordingHost, serving

    host = RecordingHost()
    plugin = create(env, host)
    plugin.receive_event({...})
    assert host.posts[0].external_id == "42"
    alert = host.alert(host.decisions[...])    # the alert your plugin translates


Haven's own plugin tests use the same two (tests/plugins/).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Literal

from haven.config import ModerationSettings
from haven.domain import Decision, Post
from haven.moderation.alert import Alert, alert_for, render_alert
from haven.moderation.links import decision_links
from haven.plugins.host import MemoryKeyValue
from haven.plugins.protocol import KeyValue

if TYPE_CHECKING:
    from haven.policy import PolicySet


class RecordingHost:
    """A PluginHost that keeps what it is given and deduplicates posts by their identity like
    the API (a repeat of a post is not kept twice). Given a policy set, it also judges each new
    post at once with the real engine, so `decision()` answers as Haven would.

    `kv` defaults to an in-memory KeyValue; pass Haven's Redis one to test against Redis.
    `alert()` renders as Haven does, its links under `public_url`, the crisis lines from the
    policy set's when it has one. Acknowledgements count only for escalations it knows of."""

    def __init__(
        self,
        kv: KeyValue | None = None,
        *,
        policy_set: PolicySet | None = None,
        public_url: str = "https://haven.example",
    ) -> None:
        self.kv: KeyValue = kv if kv is not None else MemoryKeyValue()
        self.policy_set = policy_set
        self.moderation = ModerationSettings(public_url=public_url)
        self.posts: list[Post] = []
        self.batches: list[list[Post]] = []
        self.decisions: dict[str, Decision] = {}
        self.reviews: list[tuple[str, str, str]] = []
        # (decision id, outcome, moderator, note), as record_review received them
        self.review_notes: list[tuple[str, str, str, str]] = []
        self.acknowledged: list[tuple[str, str]] = []  # (decision id, moderator)
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
        self.review_notes.append((decision_id, outcome, moderator, note))
        return decision_id in self.decisions

    def acknowledge(self, community: str, decision_id: str, *, moderator: str) -> bool:
        decision = self.decisions.get(decision_id)
        if decision is None or decision.verdict != "escalate":
            return False
        self.acknowledged.append((decision_id, moderator))
        return True

    def alert(self, decision: Decision, *, locale: str | None = None, text: Mapping[str, str] | None = None) -> Alert:
        links = decision_links(self.moderation, decision.id)
        if self.policy_set is None:
            return render_alert(decision, links, text=text)
        return alert_for(decision, links, self.policy_set.templates, locale=locale, text=text)

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
