"""The sweeper: work the database says is owed and overdue goes back on the queue.

Every accepted post is held in the database until its decision is stored, and every
webhook delivery keeps the time its next attempt is due. Whatever became of their
tasks (a worker killed between taking a task and recording it, Redis restarted
without persistence, a retry that waited in a dead worker), the sweeper finds them
once they are `HAVEN_SWEEP_AFTER_SECONDS` overdue and queues them again. Tasks are
idempotent by key, so one that was only late is done once and sent at least once.
`haven scheduler` runs it every `HAVEN_SWEEP_EVERY_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from haven import metrics
from haven.pipeline import WorkQueue, queue_for_event
from haven.store.repository import Store

log = logging.getLogger("haven.sweeper")


@dataclass(frozen=True)
class Swept:
    posts: int
    deliveries: int


class Sweeper:
    def __init__(self, store: Store, work: WorkQueue, *, after_seconds: float) -> None:
        self._store = store
        self._work = work
        self._after = timedelta(seconds=after_seconds)

    def sweep(self, now: datetime | None = None) -> Swept:
        now = now or datetime.now(UTC)
        # A held post's deadline is already `after` past its acceptance; a delivery's time
        # is when its attempt is due, so it is overdue `after` later. Each gets a new
        # deadline as it is queued, so work that is merely slow is queued again at most
        # once per period.
        posts = self._store.overdue_posts(now, now + self._after)
        if posts:
            self._work.resubmit(posts)
        deliveries = self._store.overdue_deliveries(now - self._after, now)
        for delivery_id, event_type in deliveries:
            self._work.deliver([delivery_id], queue=queue_for_event(event_type))
        if posts or deliveries:
            metrics.SWEPT.labels(kind="post").inc(len(posts))
            metrics.SWEPT.labels(kind="delivery").inc(len(deliveries))
            log.warning(
                "sweeper.requeued",
                extra={
                    "decision_ids": [p.decision_id() for p, _, _ in posts],
                    "delivery_ids": [d for d, _ in deliveries],
                },
            )
        return Swept(len(posts), len(deliveries))

    def run_every(self, seconds: float, stop: threading.Event) -> threading.Thread:
        """Sweep on a daemon thread until `stop` is set; a failed sweep is logged and tried again."""

        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    self.sweep()
                except Exception:
                    log.exception("sweeper.failed")

        thread = threading.Thread(target=loop, name="haven-sweeper", daemon=True)
        thread.start()
        return thread
