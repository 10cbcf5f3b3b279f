"""Haven's side of the plugin protocol: the `PluginHost` every plugin factory receives,
and the start of the plugins inside the one services builder."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from haven.domain import Decision, Post
from haven.moderation.alert import Alert, alert_for
from haven.plugins.dispatch import CeleryDispatch, InProcessDispatch, PluginRuntime
from haven.plugins.ledger import ActionLedger
from haven.plugins.protocol import KeyValue
from haven.plugins.registry import Plugins, load_plugins
from haven.state_redis import StateRedis, state_client

if TYPE_CHECKING:
    from haven.services import Services

log = logging.getLogger("haven.plugins")


class RedisKeyValue:
    """Plugin state in Redis, under `<HAVEN_REDIS_KEY_PREFIX>haven:plugin:`; shared by the API and
    the workers, and apart for every Haven that shares one Redis under its own prefix."""

    def __init__(self, client: StateRedis, key_prefix: str = "") -> None:
        self._redis = client
        self.PREFIX = f"{key_prefix}haven:plugin:"

    def get(self, key: str) -> str | None:
        value = self._redis.get(self.PREFIX + key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None:
        self._redis.set(self.PREFIX + key, value, ex=ttl_seconds)

    def add(self, key: str, value: str, *, ttl_seconds: int | None = None) -> bool:
        return bool(self._redis.set(self.PREFIX + key, value, nx=True, ex=ttl_seconds))

    def delete(self, key: str) -> None:
        self._redis.delete(self.PREFIX + key)


class MemoryKeyValue:
    """Embedded mode: plugin state in this process, lost when it stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[str, float | None]] = {}

    def _live(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] < time.monotonic():
            del self._items[key]
            return None
        return item[0]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None:
        with self._lock:
            self._items[key] = (value, None if ttl_seconds is None else time.monotonic() + ttl_seconds)

    def add(self, key: str, value: str, *, ttl_seconds: int | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._items[key] = (value, None if ttl_seconds is None else time.monotonic() + ttl_seconds)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class ServiceHost:
    """The `PluginHost` on top of the built services: the same paths the API uses."""

    def __init__(self, services: Services, ledger: ActionLedger) -> None:
        self._services = services
        self._ledger = ledger
        queue = services.settings.queue
        self.kv: KeyValue = (
            RedisKeyValue(state_client(queue), queue.key_prefix) if queue.state_url is not None else MemoryKeyValue()
        )

    def ingest(self, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[str]:
        from haven.api.posts import enqueue

        return [accepted.id for accepted in enqueue(self._services, posts, received_at=received_at)]

    def decision(self, community: str, decision_id: str) -> Decision | None:
        stored = self._services.store.get_decision(community, decision_id)
        return None if stored is None else stored.decision

    def record_review(
        self, community: str, decision_id: str, *, outcome: Literal["upheld", "overturned"], moderator: str, note: str
    ) -> bool:
        from haven.api.reviews import review

        return review(self._services, community, decision_id, outcome, moderator, note) is not None

    def acknowledge(self, community: str, decision_id: str, *, moderator: str) -> bool:
        from haven.api.escalations import acknowledge
        from haven.moderation.loop import NotAnEscalation

        try:
            acknowledge(self._services, community, decision_id, moderator)
        except (LookupError, NotAnEscalation):
            return False
        return True

    def alert(self, decision: Decision, *, locale: str | None = None, text: Mapping[str, str] | None = None) -> Alert:
        from haven.policy.errors import PolicyLoadError

        try:
            templates = self._services.policies.effective(decision.post.community).policy_set.templates
        except PolicyLoadError:
            templates = self._services.policies.current().templates
        return alert_for(decision, self._services.loop.links(decision.id), templates, locale=locale, text=text)

    def cancel_actions(self, community: str, platform: str, external_id: str) -> int:
        cancelled = self._ledger.cancel(community, platform, external_id)
        log.info("platform_action.cancelled", extra={"community": community, "platform": platform, "count": cancelled})
        return cancelled


def start_plugins(services: Services, env: Mapping[str, str]) -> PluginRuntime:
    """Load every installed plugin with a host on `services`; report those that stay off."""
    ledger = ActionLedger(services.store.engine)
    host = ServiceHost(services, ledger)
    plugins: Plugins = load_plugins(env, host)
    for name, reason in sorted(plugins.off.items()):
        log.warning("plugin.unavailable", extra={"plugin": name, "reason": reason})
    runtime = PluginRuntime(plugins, services.store, ledger, services.settings.webhooks.retry_base_seconds)
    services.plugins = plugins
    services.plugin_kv = host.kv
    services.platform = runtime
    if services.settings.embedded:
        services.dispatch = InProcessDispatch(runtime)
    else:
        from haven.tasks import CeleryWorkQueue

        if isinstance(services.work, CeleryWorkQueue):
            services.dispatch = CeleryDispatch(services.work.send)
    return runtime
