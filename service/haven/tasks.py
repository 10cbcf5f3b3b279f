"""The one Celery app factory, its tasks, and the API's side of the queue.

Delivery guarantees: tasks are acknowledged only after they finish
(`task_acks_late`), handed back when a worker process dies
(`task_reject_on_worker_lost`), fetched one at a time (prefetch 1), and Redis
re-delivers any unacknowledged task after a visibility timeout longer than
any task may run. Every task is idempotent by key, so a re-delivery is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import redis
from celery import Celery, Task
from celery.signals import worker_process_init, worker_ready
from kombu.entity import Queue
from sqlalchemy.orm import configure_mappers

from haven import broker_transport
from haven.config import Settings
from haven.conversations_redis import RedisConversationStore
from haven.counters_redis import RedisCounterStore
from haven.domain import Post
from haven.heap import freeze_start_up_heap
from haven.parking import failure_reason, give_up
from haven.pipeline import Pipeline
from haven.plugins.dispatch import PLATFORM_ACTION, CeleryDispatch, PluginRuntime, register_plugin_tasks
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE, QUEUES
from haven.services import Services, build_services
from haven.state_redis import COMPACT_MEMBER_BYTES, StateRedis, listpack_limits_too_small, state_client
from haven.store.sql import SqlStore
from haven.webhooks.delivery import attempt_delivery, backoff_seconds

log = logging.getLogger("haven.tasks")

EVALUATE = "haven.evaluate"
DELIVER_WEBHOOK = "haven.deliver_webhook"
PURGE = "haven.purge"
ESCALATION_SWEEP = "haven.escalation_sweep"
DEDUPE_PREFIX = "haven:post:"
GROUP_LIMIT = 100
# Webhook deliveries a judging task hands on in one task: a task's own cost (its message,
# its acknowledgement, about as much CPU as the attempt itself: bench/README.md, "Webhook
# deliveries handed on together") is paid once for them. Few, so that one task stays short.
DELIVERIES_A_TASK = 20

_POSTS = msgspec.json.Decoder(list[Post])
_ENCODE = msgspec.json.Encoder()


def create_celery_app(settings: Settings, *, schedule: dict[str, dict[str, Any]] | None = None) -> Celery:
    """The Celery app of workers, beat and the API's producer.

    `schedule` adds periodic tasks (plugins contribute theirs) to the retention purge.
    """
    if settings.queue.redis_url is None:
        raise ValueError("Celery needs HAVEN_REDIS_URL")
    app = Celery("haven", broker=settings.queue.redis_url, set_as_current=False)
    app.conf.update(broker_transport.celery_settings(settings.queue.redis_url))
    visibility = settings.queue.visibility_timeout_seconds
    task_limit = max(visibility // 2, 1)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Sweep for tasks of dead workers a tenth of the timeout apart (1 to 10 s).
            "unacked_restore_interval": min(max(visibility // 10, 1), 10),
            "unacked_restore_throttle": 1,
            # The mutex a worker takes while it restores those tasks expires this soon: a worker
            # killed while holding it (kombu's default is 300 s) then delays the others by
            # seconds, not minutes.
            "unacked_mutex_expire": min(max(visibility // 10, 1), 10),
            # Poll the queues in sorted order, so `crisis` always before `default`: strict
            # priority, whatever the set order of the consumer's queues or the key prefix.
            "queue_order_strategy": "sorted",
            **({"global_keyprefix": settings.queue.key_prefix} if settings.queue.key_prefix else {}),
        },
        broker_connection_retry_on_startup=True,
        task_time_limit=task_limit,
        task_soft_time_limit=task_limit * 0.9,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[Queue(name) for name in QUEUES],  # type: ignore[no-untyped-call]
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,
        enable_utc=True,
        beat_schedule={
            "retention-purge": {"task": PURGE, "schedule": 3600.0, "options": {"queue": "default"}},
            # Escalations' reminders: the timers are rows in the database, this only looks at them.
            # A sweep not taken within its own period is dropped (the next one does its work).
            "escalation-sweep": {
                "task": ESCALATION_SWEEP,
                "schedule": settings.moderation.sweep_seconds,
                "options": {"queue": CRISIS_QUEUE, "expires": settings.moderation.sweep_seconds},
            },
            **(schedule or {}),
        },
    )
    _register_tasks(app, settings)
    return app


@dataclass
class WorkerRuntime:
    """What a worker process builds once, after it is forked."""

    settings: Settings
    store: SqlStore
    pipeline: Pipeline
    http: httpx.Client
    # The plugins, their host and the platform-action ledger, built as in the API.
    services: Services
    # The Redis of the counters and conversations (the broker's unless HAVEN_STATE_REDIS_URL).
    state: StateRedis

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerRuntime:
        services = build_services(settings)
        store = services.store
        assert settings.queue.redis_url is not None
        # RESP2: the counters read whole sorted sets with their scores, which redis-py's RESP3
        # path turns into text and back, one score at a time (half the time of such a read;
        # bench/README.md). Nothing of Haven needs what RESP3 adds.
        client = state_client(settings.queue, protocol=2)
        counters = RedisCounterStore(
            client,
            prefix=settings.queue.key_prefix + "haven:counter",
            keep_seconds=settings.privacy.counter_window_seconds,
        )
        conversations = RedisConversationStore(
            client,
            prefix=settings.queue.key_prefix + "haven:conversation",
            keep_seconds=settings.privacy.conversation_window_seconds,
        )
        pipeline = Pipeline(
            store,
            services.policies,
            counters,
            store_post_text=settings.privacy.store_post_text,
            actions=services.platform,
            loop=services.loop,
            conversations=conversations,
        )
        http = httpx.Client(timeout=settings.webhooks.timeout_seconds, follow_redirects=False)
        return cls(settings, store, pipeline, http, services, client)

    def warm_up(self) -> None:
        """What the first task would pay after every start, paid before it: the ORM's
        mappers configured, the idempotency read compiled and a database connection opened
        (bench/first_posts.py --side worker: the first `decide` took 28-48 ms, 12-15 ms
        after it)."""
        try:
            configure_mappers()
            self.store.get_decisions(["worker-warm-up"])
        except Exception:
            # Best effort: a database away now is the first task's to report and retry.
            log.warning("worker.warm_up_failed")
        for setting, value in listpack_limits_too_small(self.state).items():
            log.warning(
                "conversations.redis_sets_not_compact",
                extra={"redis_setting": setting, "configured": value, "recommended": COMPACT_MEMBER_BYTES},
            )


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def runtime() -> WorkerRuntime:
    global _runtime  # noqa: PLW0603 - one per worker process, built lazily after fork
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = WorkerRuntime.from_settings(Settings.from_env())
    return _runtime


def build_runtime_at_start() -> None:
    """Build the runtime (policies, plugins) as the process starts, not inside the first task.

    A task that builds it waits seconds (the policy pack is read and compiled), and so do the
    tasks queued behind it: in a process of threads, every post that arrives meanwhile.
    """
    started = time.perf_counter()
    try:
        worker = runtime()
    except Exception:
        log.exception("worker.runtime_failed")  # the first task tries again
        return
    worker.warm_up()
    log.info("worker.runtime_ready", extra={"duration_ms": round((time.perf_counter() - started) * 1000)})


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _build_runtime_in_child(**_: Any) -> None:
    """A prefork pool's child: its own runtime, never one copied across the fork, and its
    start-up heap frozen (`worker_ready` below is the parent's)."""
    build_runtime_at_start()
    freeze_start_up_heap()


@worker_ready.connect  # type: ignore[untyped-decorator]
def _freeze_when_ready(**_: Any) -> None:
    """Once, when the worker's consumer and pool are built too (the runtime before them, in a
    worker of threads): everything it keeps, out of the collector's full passes."""
    freeze_start_up_heap()


def plugin_runtime() -> PluginRuntime:
    platform = runtime().services.platform
    assert platform is not None, "build_services starts the plugins"
    return platform


def touch_heartbeat(settings: Settings) -> None:
    path = settings.worker.heartbeat_file
    try:
        path.touch()
    except OSError:
        log.warning("worker.heartbeat_failed")


# A failure of ours around a webhook (database or Redis away) is retried a bounded number of
# times; the delivery stays pending in the database with its next attempt time, so the
# sweeper sends it again if every retry fails.
def _bounded_retries(settings: Settings) -> dict[str, Any]:
    return {
        "autoretry_for": (Exception,),
        "retry_backoff": 1,
        "retry_backoff_max": 60,
        "retry_jitter": True,
        "max_retries": settings.queue.task_max_attempts,
    }


def _received_times(received_at: str | list[str], count: int) -> list[datetime]:
    if isinstance(received_at, str):
        return [datetime.fromisoformat(received_at)] * count
    return [datetime.fromisoformat(at) for at in received_at]


def send_evaluate(app: Celery, posts: Sequence[Post], times: Sequence[datetime], queue: str) -> None:
    """The one way posts go to the workers: a task of these posts and their acceptance times.

    Its `argsrepr` (what Celery shows of a task's arguments in its message headers, events and
    monitors) names the posts by count: by default it repeats the first kilobyte of the posts'
    text, members' health disclosures among it, and costs the API its making.
    """
    app.send_task(
        EVALUATE,
        args=[_ENCODE.encode(list(posts)).decode(), [at.isoformat() for at in times]],
        queue=queue,
        argsrepr=f"({len(posts)} posts)",
        kwargsrepr="{}",
    )


def _send_delivery(worker: WorkerRuntime, delivery_id: str, task: str) -> float | None:
    """One attempt at a webhook delivery; the seconds until the next one, None when no more."""
    hooks = worker.settings.webhooks
    result = attempt_delivery(
        worker.store,
        worker.http,
        delivery_id,
        max_attempts=hooks.max_attempts,
        allow_private=hooks.allow_private_networks,
        retry_base_seconds=hooks.retry_base_seconds,
        # A retry waits inside a worker, unacknowledged: keep it well under the visibility
        # timeout, or Redis would hand the same delivery to a second worker meanwhile.
        retry_cap_seconds=worker.settings.queue.visibility_timeout_seconds / 2,
        task=task,
    )
    return result.retry_in if result.outcome == "retry" else None


def _register_tasks(app: Celery, settings: Settings) -> None:
    # Each app built here registers its own tasks (shared=False); shared ones would be added to
    # every app a process builds, which Celery warns about (a warning is an error in the tests).
    @app.task(name=EVALUATE, bind=True, shared=False)  # type: ignore[untyped-decorator]
    def evaluate_posts(self: Task[Any, Any], posts_json: str, received_at: str | list[str]) -> None:
        worker = runtime()
        posts = _POSTS.decode(posts_json)
        times = _received_times(received_at, len(posts))
        try:
            decided = worker.pipeline.decide(posts, times)
        except Exception as exc:
            _evaluation_failed(self, worker, posts, times, exc)
            return
        # The platform's actions (a moderators' alert among them) are queued first: a slow
        # webhook receiver below must not hold them back.
        for action_id, queue in decided.actions:
            app.send_task(PLATFORM_ACTION, args=[action_id], queue=queue)
        later: dict[str, list[str]] = {}
        for delivery_id, queue in decided.deliveries:
            if queue != CRISIS_QUEUE:
                later.setdefault(queue, []).append(delivery_id)
        for queue, ids in later.items():
            for first in range(0, len(ids), DELIVERIES_A_TASK):
                app.send_task(DELIVER_WEBHOOK, args=[ids[first : first + DELIVERIES_A_TASK]], queue=queue)
        for delivery_id, queue in decided.deliveries:
            if queue == CRISIS_QUEUE:
                # An escalation goes out from here, at once, not behind another trip through
                # the broker and a wait for a free worker; a failure is retried by the task.
                # Should this process die first, the sweeper finds the delivery due.
                retry = _send_delivery(worker, delivery_id, EVALUATE)
                if retry is not None:
                    app.send_task(DELIVER_WEBHOOK, args=[delivery_id], queue=queue, countdown=retry)
        touch_heartbeat(worker.settings)

    def _evaluation_failed(
        task: Task[Any, Any], worker: WorkerRuntime, posts: list[Post], times: list[datetime], exc: Exception
    ) -> None:
        queue = (task.request.delivery_info or {}).get("routing_key") or DEFAULT_QUEUE
        if len(posts) > 1:
            # One post's failure must not hold the others of its group: each goes on alone.
            log.warning(
                "evaluate.split",
                extra={"decision_ids": [p.decision_id() for p in posts], "reason": failure_reason(exc)},
            )
            for post, at in zip(posts, times, strict=True):
                send_evaluate(app, [post], [at], queue)
            return
        attempt = task.request.retries + 1
        queue_settings = worker.settings.queue
        if attempt < queue_settings.task_max_attempts:
            # The retry waits in the worker, unacknowledged: well under the visibility timeout.
            cap = queue_settings.visibility_timeout_seconds / 2
            delay = backoff_seconds(attempt, queue_settings.task_retry_base_seconds, cap)
            raise task.retry(countdown=delay, max_retries=None) from exc
        give_up(worker.store, posts[0], exc, attempt)

    # A receiver that fails is retried on `attempt_delivery`'s own schedule, stored with it.
    @app.task(name=DELIVER_WEBHOOK, bind=True, **_bounded_retries(settings), shared=False)  # type: ignore[untyped-decorator]
    def deliver_webhook(self: Task[Any, Any], delivery_ids: str | list[str]) -> None:
        """One delivery (a retry, the sweeper's, the review path's), or several handed on
        together, attempted in order. Run again after a failure of Haven's own, those already
        delivered are skipped."""
        worker = runtime()
        ids = [delivery_ids] if isinstance(delivery_ids, str) else delivery_ids
        queue = (self.request.delivery_info or {}).get("routing_key") or DEFAULT_QUEUE
        for index, delivery_id in enumerate(ids):
            retry = _send_delivery(worker, delivery_id, DELIVER_WEBHOOK)
            if retry is None:
                continue
            # A receiver failing now (timing out, perhaps) must not hold up the deliveries
            # after it, which may be to others: they go on at once in a task of their own, and
            # this one is tried again on its own schedule, in a task of its own.
            app.send_task(DELIVER_WEBHOOK, args=[delivery_id], queue=queue, countdown=retry)
            if index + 1 < len(ids):
                app.send_task(DELIVER_WEBHOOK, args=[ids[index + 1 :]], queue=queue)
            break
        touch_heartbeat(worker.settings)

    register_plugin_tasks(app, plugin_runtime)

    @app.task(name=ESCALATION_SWEEP, **_bounded_retries(settings), shared=False)  # type: ignore[untyped-decorator]
    def escalation_sweep() -> None:
        worker = runtime()
        swept = worker.services.loop.sweep(worker.store)
        for delivery_id in swept.deliveries:
            app.send_task(DELIVER_WEBHOOK, args=[delivery_id], queue=CRISIS_QUEUE)
        plugins = CeleryDispatch(lambda task, args, queue: app.send_task(task, args=args, queue=queue))
        for reminder in swept.reminders:
            plugins.remind(reminder.community, reminder.decision_id, reminder.number, reminder.final)

    @app.task(name=PURGE, shared=False)  # type: ignore[untyped-decorator]
    def purge() -> None:
        worker = runtime()
        before = datetime.now(UTC) - timedelta(days=worker.settings.privacy.retention_days)
        counts = worker.store.purge(before)
        log.info("retention.purged", extra={"deleted": msgspec.to_builtins(counts)})


class _Group:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.times: list[datetime] = []
        self.full = threading.Event()
        self.sent = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """Ordinary posts from concurrent requests, gathered for up to `window` seconds, go to
    the queue as one task: workers pay a task's fixed cost once per group, not per post.

    Each request still returns only once its own posts are in Redis (or with the error
    that kept them out), so a 202 always means queued.
    """

    def __init__(self, send: Callable[[list[Post], list[datetime]], None], *, window: float, limit: int = 100) -> None:
        self._send = send
        self._window = window
        self._limit = limit
        self._lock = threading.Lock()
        self._open: _Group | None = None

    def submit(self, posts: Sequence[Post], received_at: datetime) -> None:
        with self._lock:
            group = self._open
            leader = group is None
            if group is None:
                group = self._open = _Group()
            group.posts.extend(posts)
            group.times.extend([received_at] * len(posts))
            if len(group.posts) >= self._limit:
                self._open = None
                group.full.set()
        if leader:
            group.full.wait(self._window)
            with self._lock:
                if self._open is group:
                    self._open = None
            try:
                self._send(group.posts, group.times)
            except BaseException as exc:
                group.error = exc
            finally:
                group.sent.set()
        else:
            group.sent.wait()
        if group.error is not None:
            raise group.error


class CeleryWorkQueue:
    """The API's side: dedupe keys in the state's Redis, tasks sent to the crisis or default
    queue on the broker's (the same Redis unless HAVEN_STATE_REDIS_URL is set)."""

    def __init__(
        self,
        app: Celery,
        broker: redis.Redis,
        state: StateRedis,
        *,
        dedupe_ttl_seconds: int,
        key_prefix: str = "",
        group_seconds: float = 0.0,
    ) -> None:
        self._app = app
        self._broker = broker
        self._redis = state
        self._ttl = dedupe_ttl_seconds
        self._prefix = key_prefix
        self._dedupe = key_prefix + DEDUPE_PREFIX
        self._group = (
            GroupCommit(self._send_grouped, window=group_seconds, limit=GROUP_LIMIT) if group_seconds > 0 else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> CeleryWorkQueue:
        assert settings.queue.redis_url is not None
        broker = redis.Redis.from_url(settings.queue.redis_url)
        apart = settings.queue.state_redis_url is not None
        return cls(
            create_celery_app(settings),
            broker,
            state_client(settings.queue) if apart else broker,
            dedupe_ttl_seconds=settings.queue.dedupe_ttl_seconds,
            key_prefix=settings.queue.key_prefix,
            group_seconds=settings.queue.group_ms / 1000,
        )

    def claim(self, community: str, decision_ids: Sequence[str], received_at: datetime) -> list[bool]:
        pipe = self._redis.pipeline(transaction=False)
        for decision_id in decision_ids:
            pipe.set(self._dedupe + decision_id, community, nx=True, ex=self._ttl)
        return [bool(ok) for ok in pipe.execute()]

    def release(self, decision_ids: Sequence[str]) -> None:
        if decision_ids:
            self._redis.delete(*(self._dedupe + i for i in decision_ids))

    def is_pending(self, community: str, decision_id: str) -> bool:
        owner = self._redis.get(self._dedupe + decision_id)
        if isinstance(owner, bytes):
            return owner.decode() == community
        return owner == community

    def submit(self, posts: Sequence[Post], *, received_at: datetime, queue: str) -> None:
        # Crisis-prone posts and large batches go at once; ordinary trickles are grouped.
        if queue == DEFAULT_QUEUE and self._group is not None and len(posts) < GROUP_LIMIT // 2:
            self._group.submit(posts, received_at)
            return
        send_evaluate(self._app, posts, [received_at] * len(posts), queue)

    def resubmit(self, items: Sequence[tuple[Post, datetime, str]]) -> None:
        by_queue: dict[str, list[tuple[Post, datetime]]] = {}
        for post, at, queue in items:
            by_queue.setdefault(queue if queue in QUEUES else DEFAULT_QUEUE, []).append((post, at))
        for queue, held in by_queue.items():
            for start in range(0, len(held), GROUP_LIMIT):
                chunk = held[start : start + GROUP_LIMIT]
                send_evaluate(self._app, [p for p, _ in chunk], [at for _, at in chunk], queue)

    def _send_grouped(self, posts: list[Post], times: list[datetime]) -> None:
        send_evaluate(self._app, posts, times, DEFAULT_QUEUE)

    def deliver(self, delivery_ids: Sequence[str], *, queue: str) -> None:
        for delivery_id in delivery_ids:
            self._app.send_task(DELIVER_WEBHOOK, args=[delivery_id], queue=queue)

    def send(self, task: str, args: list[Any], queue: str) -> None:
        """Send any task by name (the plugins' platform actions and reviews)."""
        self._app.send_task(task, args=args, queue=queue)

    def depths(self) -> dict[str, int]:
        pipe = self._broker.pipeline(transaction=False)
        for name in QUEUES:
            pipe.llen(self._prefix + name)
        return dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))

    def ping(self) -> None:
        self._broker.ping()
        if self._redis is not self._broker:
            self._redis.ping()

    def start(self) -> None:
        """Celery's set-up for sending, done before the first post rather than by it: the
        app's result backend looked up and a producer's connection and channel opened
        (bench/first_posts.py --side api: the first submit took 14-24 ms, 6-10 ms after it)."""
        try:
            self.ping()  # fails at once where kombu would retry for seconds
            _ = self._app.backend
            with self._app.producer_or_acquire() as producer:
                _ = producer.channel  # connects, and the channel answers a PING
        except Exception:
            # Best effort: a broker away now is the first post's to report, as before.
            log.warning("queue.warm_up_failed")

    def close(self) -> None:
        self._broker.close()
        if self._redis is not self._broker:
            self._redis.close()


__all__ = ["CeleryWorkQueue", "GroupCommit", "create_celery_app", "runtime"]
