"""Platform actions and reviews, carried out by the post's plugin off the request path.

After a decision is stored, each of its actions becomes a task of its own
(`haven.platform_action`, on the crisis queue for escalations), idempotent by
the action's key, every attempt recorded in the ledger and retried with
backoff while the plugin says the failure is transient. A moderator's review
becomes a `haven.plugin_review` task that tells the plugin; an escalation's
reminder and its first acknowledgement are told the same way (`NOTICES`), on the
crisis queue. Embedded mode runs the same steps on a thread of the API process.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from celery import Celery, Task

from haven.domain import Decision
from haven.plugins.ledger import ActionLedger, action_key
from haven.plugins.protocol import AcknowledgementHook, ActionResult, Plugin
from haven.plugins.registry import Plugins
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE
from haven.store.repository import Store
from haven.webhooks.delivery import backoff_seconds

log = logging.getLogger("haven.plugins")

PLATFORM_ACTION = "haven.platform_action"
PLUGIN_REVIEW = "haven.plugin_review"
PLUGIN_PERIODIC = "haven.plugin_periodic"
PLUGIN_REMIND = "haven.plugin_remind"
PLUGIN_ACKNOWLEDGED = "haven.plugin_acknowledged"
MAX_ATTEMPTS = 8


def _review(plugin: Plugin, decision: Decision, outcome: str, moderator: str) -> None:
    plugin.review_recorded(decision, outcome, moderator)


def _remind(plugin: Plugin, decision: Decision, number: int, final: bool) -> None:
    plugin.escalation_reminder(decision, number, final)


def _acknowledged(plugin: Plugin, decision: Decision, moderator: str, acknowledged_at: str) -> None:
    # The hook is optional (plugins written before it still load): only a plugin that has it hears.
    if isinstance(plugin, AcknowledgementHook):
        plugin.escalation_acknowledged(decision, moderator, datetime.fromisoformat(acknowledged_at))


@dataclass(frozen=True)
class Notice:
    """Something the post's plugin is told about a decision, in a task of its own: `tell` gets
    the plugin, the stored decision and the task's arguments after (community, decision id)."""

    queue: str
    tell: Callable[..., None]


NOTICES: dict[str, Notice] = {
    PLUGIN_REVIEW: Notice(DEFAULT_QUEUE, _review),
    # A reminder, or that someone took the escalation, is as urgent as the alert was.
    PLUGIN_REMIND: Notice(CRISIS_QUEUE, _remind),
    PLUGIN_ACKNOWLEDGED: Notice(CRISIS_QUEUE, _acknowledged),
}


@dataclass(frozen=True)
class Attempted:
    outcome: Literal["final", "retry"]
    attempt: int = 0
    retry_after: float | None = None


@dataclass
class PluginRuntime:
    """What carries out plugin work, in a worker process or the embedded API."""

    plugins: Plugins
    store: Store
    ledger: ActionLedger
    retry_base_seconds: float = 5.0

    def plan(self, decisions: Sequence[Decision]) -> list[tuple[str, str]]:
        """The actions to carry out: enforced decisions on platforms whose plugin is on."""
        mine = [
            d for d in decisions if d.mode == "enforce" and d.actions and self.plugins.for_platform(d.post.platform)
        ]
        return self.ledger.plan(mine) if mine else []

    def run_action(self, action_id: str) -> Attempted:
        record = self.ledger.get(action_id)
        if record is None or record.status != "pending":
            # Already carried out, or cancelled (the post was deleted) while it waited for a retry.
            log.info(
                "platform_action.not_pending",
                extra={"action_id": action_id, "status": record.status if record is not None else "unknown"},
            )
            return Attempted("final")
        plugin = self.plugins.for_platform(record.platform)
        stored = self.store.get_decision(record.community, record.decision_id)
        decision = stored.decision if stored is not None else None
        action = next((a for a in decision.actions if action_key(decision, a) == action_id), None) if decision else None
        if plugin is None:
            result = ActionResult("skipped", detail=f"plugin {record.platform} is off")
        elif decision is None or action is None:
            result = ActionResult("skipped", detail="decision no longer stored")
        elif action.kind not in plugin.supported_actions:
            result = ActionResult("unsupported", detail=f"{record.platform} cannot {action.kind}")
        else:
            try:
                result = plugin.execute(decision, action)
            except Exception as exc:
                log.exception("platform_action.crashed", extra={"action_id": action_id})
                result = ActionResult("failed", detail=f"plugin raised {type(exc).__name__}", retryable=True)
        final = not result.retryable or record.attempts + 1 >= MAX_ATTEMPTS
        attempt = self.ledger.record_attempt(
            action_id, status=result.status, detail=result.detail, platform_ref=result.platform_ref, final=final
        )
        log.info(
            "platform_action.attempted",
            extra={"action_id": action_id, "status": result.status, "attempt": attempt, "final": final},
        )
        if final:
            return Attempted("final", attempt)
        delay = max(backoff_seconds(attempt, self.retry_base_seconds), result.retry_after_seconds or 0.0)
        return Attempted("retry", attempt, delay)

    def run_notice(self, task: str, community: str, decision_id: str, *args: Any) -> None:
        """Tell the post's plugin one of NOTICES (a review, a reminder, an acknowledgement)."""
        stored = self.store.get_decision(community, decision_id)
        if stored is None:
            return
        plugin = self.plugins.for_platform(stored.decision.post.platform)
        if plugin is not None:
            NOTICES[task].tell(plugin, stored.decision, *args)

    def run_periodic(self, plugin_name: str, task_name: str) -> None:
        plugin = self.plugins.active.get(plugin_name)
        task = plugin.periodic_tasks().get(task_name) if plugin is not None else None
        if task is None:
            log.warning("plugin.periodic_unknown", extra={"plugin": plugin_name, "task": task_name})
            return
        task.run()

    def schedule(self) -> dict[str, dict[str, Any]]:
        """Celery beat entries of every active plugin's periodic tasks."""
        entries: dict[str, dict[str, Any]] = {}
        for name, plugin in self.plugins.active.items():
            for task_name, task in plugin.periodic_tasks().items():
                entries[f"plugin-{name}-{task_name}"] = {
                    "task": PLUGIN_PERIODIC,
                    "schedule": task.every_seconds,
                    "args": [name, task_name],
                    "options": {"queue": DEFAULT_QUEUE},
                }
        return entries


class PlatformDispatch(Protocol):
    """Where plugin work is handed: Celery tasks, or the embedded thread."""

    def act(self, actions: Sequence[tuple[str, str]]) -> None:
        """Carry out these (action id, queue) pairs."""
        ...

    def reviewed(self, community: str, decision_id: str, outcome: str, moderator: str) -> None: ...

    def remind(self, community: str, decision_id: str, number: int, final: bool) -> None: ...

    def acknowledged(self, community: str, decision_id: str, moderator: str, acknowledged_at: datetime) -> None: ...

    def close(self) -> None: ...


class Notifying:
    """What both dispatches tell plugins, each through its own `tell`."""

    def tell(self, task: str, args: list[Any]) -> None:
        """Hand one of NOTICES over, with its arguments (as JSON carries them)."""
        raise NotImplementedError

    def reviewed(self, community: str, decision_id: str, outcome: str, moderator: str) -> None:
        self.tell(PLUGIN_REVIEW, [community, decision_id, outcome, moderator])

    def remind(self, community: str, decision_id: str, number: int, final: bool) -> None:
        self.tell(PLUGIN_REMIND, [community, decision_id, number, final])

    def acknowledged(self, community: str, decision_id: str, moderator: str, acknowledged_at: datetime) -> None:
        self.tell(PLUGIN_ACKNOWLEDGED, [community, decision_id, moderator, acknowledged_at.isoformat()])


class CeleryDispatch(Notifying):
    def __init__(self, send: Callable[[str, list[Any], str], None]) -> None:
        self._send = send

    def act(self, actions: Sequence[tuple[str, str]]) -> None:
        for action_id, queue in actions:
            self._send(PLATFORM_ACTION, [action_id], queue)

    def tell(self, task: str, args: list[Any]) -> None:
        self._send(task, args, NOTICES[task].queue)

    def close(self) -> None:
        return None


def register_plugin_tasks(app: Celery, runtime: Callable[[], PluginRuntime]) -> None:
    @app.task(name=PLATFORM_ACTION, bind=True, max_retries=None, shared=False)  # type: ignore[untyped-decorator]
    def platform_action(self: Task[Any, Any], action_id: str) -> None:
        attempted = runtime().run_action(action_id)
        if attempted.outcome == "retry":
            raise self.retry(countdown=attempted.retry_after)

    def notice_task(task: str) -> Callable[..., None]:
        def notice(community: str, decision_id: str, *args: Any) -> None:
            runtime().run_notice(task, community, decision_id, *args)

        return notice

    for task in NOTICES:
        app.task(name=task, shared=False)(notice_task(task))

    @app.task(name=PLUGIN_PERIODIC, shared=False)  # type: ignore[untyped-decorator]
    def plugin_periodic(plugin: str, task: str) -> None:
        runtime().run_periodic(plugin, task)


class InProcessDispatch(Notifying):
    """Embedded mode: one thread carries out actions (retries by a timer heap) and notices."""

    def __init__(self, runtime: PluginRuntime) -> None:
        self._runtime = runtime
        self._lock = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="haven-plugins", daemon=True)
        self._thread.start()
        for name, plugin in runtime.plugins.active.items():
            for task_name, task in plugin.periodic_tasks().items():
                self._every(task.every_seconds, name, task_name)

    def _every(self, seconds: float, plugin: str, task: str) -> None:
        def job() -> None:
            try:
                self._runtime.run_periodic(plugin, task)
            finally:
                self._push(time.monotonic() + seconds, job)

        self._push(time.monotonic() + seconds, job)

    def _push(self, due: float, job: Callable[[], None]) -> None:
        with self._lock:
            self._seq += 1
            heapq.heappush(self._due, (due, self._seq, job))
            self._lock.notify_all()

    def act(self, actions: Sequence[tuple[str, str]]) -> None:
        for action_id, _ in actions:
            self._push(time.monotonic(), lambda a=action_id: self._action(a))  # type: ignore[misc]

    def _action(self, action_id: str) -> None:
        attempted = self._runtime.run_action(action_id)
        if attempted.outcome == "retry":
            self._push(time.monotonic() + (attempted.retry_after or 0.0), lambda: self._action(action_id))

    def tell(self, task: str, args: list[Any]) -> None:
        self._push(time.monotonic(), lambda: self._runtime.run_notice(task, *args))

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    self._lock.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stopping:
                    return
                _, _, job = heapq.heappop(self._due)
            try:
                job()
            except Exception:
                log.exception("embedded.plugin_work_failed")

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._thread.join(5.0)
