"""Everything the API process uses, built once from the settings."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from haven.config import Settings
from haven.moderation.loop import ModeratorLoop
from haven.pipeline import WorkQueue
from haven.plugins.host import start_plugins
from haven.plugins.protocol import AcknowledgementHook
from haven.plugins.registry import Plugins
from haven.policy_library import LivePolicies, PolicyLibrary
from haven.store.migrate import upgrade
from haven.store.sql import SqlStore

if TYPE_CHECKING:
    from haven.plugins.consumers import Supervisor
    from haven.plugins.dispatch import PlatformDispatch, PluginRuntime
    from haven.plugins.protocol import KeyValue

log = logging.getLogger("haven")


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    policies: PolicyLibrary
    work: WorkQueue
    # The review queue and the escalations' acknowledgement timers.
    loop: ModeratorLoop
    # The platform adapters: loaded at start by `start_plugins`, off ones reported on /readyz.
    plugins: Plugins = field(default_factory=Plugins)
    platform: PluginRuntime | None = None
    dispatch: PlatformDispatch | None = None
    # The plugins' state (Redis, or memory when embedded): their own keys, the consumers'
    # leases and health.
    plugin_kv: KeyValue | None = None
    # Embedded, `haven serve` is also the worker: it runs the plugins' consumers.
    consumers: Supervisor | None = None

    def review_recorded(self, community: str, decision_id: str, outcome: str, moderator: str) -> None:
        """Tell the post's plugin (in a task) that a moderator reviewed a decision."""
        if self.dispatch is not None and self.plugins.active:
            self.dispatch.reviewed(community, decision_id, outcome, moderator)

    def escalation_acknowledged(
        self, community: str, decision_id: str, moderator: str, acknowledged_at: datetime
    ) -> None:
        """Tell the post's plugin (in a task on the crisis queue) who took the escalation, so its
        alert says so wherever the acknowledgement came from."""
        if self.dispatch is not None and any(isinstance(p, AcknowledgementHook) for p in self.plugins.active.values()):
            self.dispatch.acknowledged(community, decision_id, moderator, acknowledged_at)

    @property
    def mode(self) -> Literal["embedded", "full"]:
        return "embedded" if self.settings.embedded else "full"

    def plugin_state(self) -> KeyValue:
        if self.plugin_kv is None:
            raise RuntimeError("the plugins are not started")
        return self.plugin_kv

    def start(self) -> None:
        self.work.start()
        # The API triages every post it takes: the base set's escalating part is compiled now,
        # not on the first post (a community's layered set, compiled on its first post, then
        # compiles its part too).
        triage = self.policies.current().triage
        log.info("policy.triage_ready", extra={"rules": len(triage.rules)})
        if self.settings.embedded:
            from haven.plugins.consumers import supervise

            self.consumers = supervise(self)

    def close(self) -> None:
        if self.consumers is not None:
            self.consumers.stop()
        if self.dispatch is not None:
            self.dispatch.close()
        self.plugins.close()
        self.work.close()
        self.store.dispose()


def build_services(settings: Settings) -> Services:
    """Embedded (no HAVEN_REDIS_URL): SQLite or the given database, migrated at start,
    evaluation in-process. Full: Redis and Celery workers, migrations by `haven migrate`."""
    store = SqlStore.from_settings(settings.database)
    loop = ModeratorLoop.on(store.engine, settings.moderation)
    reload = settings.policy.reload_seconds
    policies = PolicyLibrary(LivePolicies(settings.policy.directory, reload), store, reload)
    if settings.embedded:
        from haven.embedded import InProcessWorkQueue
        from haven.pipeline import Pipeline
        from haven.policy import InMemoryConversationStore, InMemoryCounterStore

        upgrade(store.engine)
        pipeline = Pipeline(
            store,
            policies,
            InMemoryCounterStore(keep_seconds=settings.privacy.counter_window_seconds),
            store_post_text=settings.privacy.store_post_text,
            loop=loop,
            conversations=InMemoryConversationStore(keep_seconds=settings.privacy.conversation_window_seconds),
        )
        embedded = InProcessWorkQueue(pipeline, store, settings)
        services = Services(settings, store, policies, embedded, loop)
        pipeline.actions = start_plugins(services, os.environ)
        embedded.dispatch = services.dispatch
        return services
    from haven.tasks import CeleryWorkQueue

    work = CeleryWorkQueue.from_settings(settings)
    services = Services(settings, store, policies, work, loop)
    start_plugins(services, os.environ)
    return services
