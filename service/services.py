"""Everything the API process uses, built once from the settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from service.config import Settings
from service.pipeline import LivePolicies, WorkQueue
from service.store.migrate import upgrade
from service.store.sql import SqlStore

log = logging.getLogger("haven")


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    policies: LivePolicies
    work: WorkQueue

    @property
    def mode(self) -> Literal["embedded", "full"]:
        return "embedded" if self.settings.embedded else "full"

    def start(self) -> None:
        self.work.start()

    def close(self) -> None:
        self.work.close()
        self.store.dispose()


def build_services(settings: Settings) -> Services:
    """Embedded (no HAVEN_REDIS_URL): SQLite or the given database, migrated at start,
    evaluation in-process. Full: Redis and Celery workers, migrations by `haven migrate`."""
    store = SqlStore.from_url(settings.database.effective_url)
    policies = LivePolicies(settings.policy.directory, settings.policy.reload_seconds)
    if settings.embedded:
        from service.embedded import InProcessWorkQueue
        from service.pipeline import Pipeline
        from service.policy import InMemoryCounterStore

        upgrade(store.engine)
        pipeline = Pipeline(
            store,
            policies,
            InMemoryCounterStore(),
            store_post_text=settings.privacy.store_post_text,
        )
        embedded = InProcessWorkQueue(pipeline, store, settings)
        return Services(settings, store, policies, embedded)
    from service.tasks import CeleryWorkQueue

    work = CeleryWorkQueue.from_settings(settings)
    return Services(settings, store, policies, work)
