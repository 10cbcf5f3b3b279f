"""Embedded mode: the queue, the worker and the webhook sender inside the API process.

For trying Haven on one machine with no Redis: evaluation still happens off
the request path, crisis posts first. Accepted posts are held in the database
until decided and picked up again at the next start; webhook retries waiting
in memory are not. Production runs `CeleryWorkQueue` and `haven worker`.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from haven.config import Settings
from haven.domain import Post
from haven.parking import failure_reason, give_up
from haven.pipeline import Pipeline
from haven.queues import CRISIS_QUEUE, QUEUES
from haven.store.repository import Store
from haven.webhooks.delivery import attempt_delivery, backoff_seconds

if TYPE_CHECKING:
    from haven.plugins.dispatch import PlatformDispatch

log = logging.getLogger("haven.embedded")

PURGE_EVERY_SECONDS = 3600.0
# Pause before posts or a webhook whose processing failed (database away) are tried again.
RETRY_SECONDS = 1.0


class InProcessWorkQueue:
    def __init__(self, pipeline: Pipeline, store: Store, settings: Settings) -> None:
        self._pipeline = pipeline
        self._store = store
        self._settings = settings
        self._lock = threading.Condition()
        # (posts, received at, attempt): a failed group is split, a failed post tried again
        # up to HAVEN_TASK_MAX_ATTEMPTS times, then parked.
        self._queues: dict[str, deque[tuple[list[Post], datetime, int]]] = {q: deque() for q in QUEUES}
        self._pending: dict[str, str] = {}
        self._deliveries: list[tuple[float, str]] = []
        self._stopping = False
        self._threads: list[threading.Thread] = []
        # Carries out platform actions of new decisions; set once the plugins are loaded.
        self.dispatch: PlatformDispatch | None = None

    # The API's side

    def claim(self, community: str, decision_ids: Sequence[str], received_at: datetime) -> list[bool]:
        # Pending first, decided after: a worker stores a decision before it lets go of the
        # post, so one not pending at the first look is found decided by the read after it,
        # and one pending then and not at the second look was decided in between. Read the
        # other way round, a decision stored between the two looked like neither, and its
        # repeat was answered "queued" and judged again.
        with self._lock:
            waiting = {i for i in decision_ids if i not in self._pending}
        decided = self._store.decided_ids(list(waiting))
        with self._lock:
            fresh = []
            for decision_id in decision_ids:
                new = decision_id in waiting and decision_id not in self._pending and decision_id not in decided
                if new:
                    self._pending[decision_id] = community
                fresh.append(new)
            return fresh

    def release(self, decision_ids: Sequence[str]) -> None:
        with self._lock:
            for decision_id in decision_ids:
                self._pending.pop(decision_id, None)

    def is_pending(self, community: str, decision_id: str) -> bool:
        with self._lock:
            return self._pending.get(decision_id) == community

    def submit(self, posts: Sequence[Post], *, received_at: datetime, queue: str) -> None:
        # The API held them in the database first, so a restart picks up what a crash left undecided.
        with self._lock:
            self._queues[queue].append((list(posts), received_at, 1))
            self._lock.notify_all()

    def resubmit(self, items: Sequence[tuple[Post, datetime, str]]) -> None:
        with self._lock:
            for post, received_at, queue in items:
                self._pending[post.decision_id()] = post.community
                self._queues[queue if queue in self._queues else QUEUES[-1]].append(([post], received_at, 1))
            self._lock.notify_all()

    def deliver(self, delivery_ids: Sequence[str], *, queue: str) -> None:
        now = time.monotonic()
        with self._lock:
            for delivery_id in delivery_ids:
                heapq.heappush(self._deliveries, (now, delivery_id))
            self._lock.notify_all()

    def depths(self) -> dict[str, int]:
        with self._lock:
            return {name: len(items) for name, items in self._queues.items()}

    def ping(self) -> None:
        return None

    # The worker's side

    def start(self) -> None:
        self._resume()
        for target, name in (
            (self._evaluate_loop, "haven-evaluate"),
            (self._deliver_loop, "haven-deliver"),
            (self._purge_loop, "haven-purge"),
            (self._sweep_loop, "haven-escalations"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _resume(self) -> None:
        """Queue again the posts accepted before a restart and not decided then."""
        held = self._store.pending_posts()
        self.resubmit(held)
        # Webhook retries waiting in memory died with the process; their next attempt time did not.
        now = datetime.now(UTC)
        owed = self._store.overdue_deliveries(now + timedelta(days=365), now)
        with self._lock:
            for delivery_id, _ in owed:
                heapq.heappush(self._deliveries, (time.monotonic(), delivery_id))
            self._lock.notify_all()
        if held or owed:
            log.info("embedded.resumed", extra={"count": len(held), "deliveries": len(owed)})

    def _next_posts(self) -> tuple[str, list[Post], datetime, int] | None:
        with self._lock:
            while not self._stopping:
                for name in QUEUES:  # crisis first
                    if self._queues[name]:
                        return (name, *self._queues[name].popleft())
                self._lock.wait()
            return None

    def _evaluate_loop(self) -> None:
        queue_settings = self._settings.queue
        while (work := self._next_posts()) is not None:
            queue, posts, received_at, attempt = work
            ids = [p.decision_id() for p in posts]
            try:
                decided = self._pipeline.decide(posts, received_at)
            except Exception as exc:
                # As a Celery task does: a group splits, a post is tried again with backoff a
                # bounded number of times and then parked; meanwhile it stays held.
                log.warning("embedded.evaluate_failed", extra={"decision_ids": ids, "reason": failure_reason(exc)})
                if len(posts) > 1:
                    retry = [([p], received_at, 1) for p in posts]
                elif attempt < queue_settings.task_max_attempts:
                    retry = [(posts, received_at, attempt + 1)]
                else:
                    give_up(self._store, posts[0], exc, attempt)
                    self.release(ids)
                    continue
                pause = min(backoff_seconds(attempt, queue_settings.task_retry_base_seconds), RETRY_SECONDS * 60)
                with self._lock:
                    if not self._lock.wait_for(lambda: self._stopping, pause if len(posts) == 1 else 0):
                        self._queues[queue].extend(retry)
                continue
            self.release(ids)
            for delivery_id, queue in decided.deliveries:
                self.deliver([delivery_id], queue=queue)
            if decided.actions and self.dispatch is not None:
                self.dispatch.act(decided.actions)

    def _deliver_loop(self) -> None:
        hooks = self._settings.webhooks
        with httpx.Client(timeout=hooks.timeout_seconds) as client:
            while True:
                with self._lock:
                    while not self._stopping and (not self._deliveries or self._deliveries[0][0] > time.monotonic()):
                        wait = self._deliveries[0][0] - time.monotonic() if self._deliveries else None
                        self._lock.wait(wait)
                    if self._stopping:
                        return
                    _, delivery_id = heapq.heappop(self._deliveries)
                retry_in: float | None = None
                try:
                    result = attempt_delivery(
                        self._store,
                        client,
                        delivery_id,
                        max_attempts=hooks.max_attempts,
                        allow_private=hooks.allow_private_networks,
                        retry_base_seconds=hooks.retry_base_seconds,
                    )
                    if result.outcome == "retry":
                        retry_in = result.retry_in
                except Exception:
                    # Our failure, not the receiver's (database away): tried again, or the
                    # delivery would stay pending and never be sent.
                    log.exception("embedded.deliver_failed", extra={"delivery_id": delivery_id})
                    retry_in = RETRY_SECONDS
                if retry_in is not None:
                    with self._lock:
                        heapq.heappush(self._deliveries, (time.monotonic() + retry_in, delivery_id))

    def _sweep_loop(self) -> None:
        """Escalations' reminders, as `haven scheduler` sends them in full mode."""
        loop = self._pipeline.loop
        if loop is None:
            return
        while True:
            try:
                swept = loop.sweep(self._store)
                self.deliver(swept.deliveries, queue=CRISIS_QUEUE)
                if self.dispatch is not None:
                    for reminder in swept.reminders:
                        self.dispatch.remind(reminder.community, reminder.decision_id, reminder.number, reminder.final)
            except Exception:
                log.exception("embedded.sweep_failed")
            with self._lock:
                if self._lock.wait_for(lambda: self._stopping, self._settings.moderation.sweep_seconds):
                    return

    def _purge_loop(self) -> None:
        while True:
            before = datetime.now(UTC) - timedelta(days=self._settings.privacy.retention_days)
            try:
                counts = self._store.purge(before)
                log.info("retention.purged", extra={"count": counts.decisions + counts.deliveries})
            except Exception:
                log.exception("embedded.purge_failed")
            with self._lock:
                if self._lock.wait_for(lambda: self._stopping, PURGE_EVERY_SECONDS):
                    return


__all__ = ["InProcessWorkQueue"]
