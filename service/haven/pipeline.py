"""From accepted posts to stored decisions and pending webhook deliveries.

The same code runs in a Celery worker and in the embedded runner: it loads
the live policy set, evaluates each post with the engine, stores decisions
and the deliveries they raise in one transaction, and counts them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from haven import metrics
from haven.domain import Decision, Post
from haven.policy import ConversationStore, CounterStore, evaluate, prepare
from haven.policy.identities import PROTECTED_IDENTITY
from haven.policy.scan import PreparedText
from haven.policy_library import LivePolicies, PolicyLibrary
from haven.protected_identities import StoredIdentities
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE
from haven.store.records import Review, Subscription
from haven.store.repository import Store
from haven.webhooks.events import decision_events, deliveries_for, review_event

if TYPE_CHECKING:
    from haven.moderation.loop import ModeratorLoop
    from haven.store.escalations import Escalation

log = logging.getLogger("haven.pipeline")
T = TypeVar("T")

# A new or deleted webhook subscription takes effect in the workers within this time.
SUBSCRIBERS_TTL_SECONDS = 1.0


class WorkQueue(Protocol):
    """Where the API hands accepted work: Celery on Redis, or the embedded runner."""

    def claim(self, community: str, decision_ids: Sequence[str], received_at: datetime) -> list[bool]:
        """Remember each post's identity; True where it is new (not a repeat)."""
        ...

    def release(self, decision_ids: Sequence[str]) -> None:
        """Forget identities claimed for work that could not be enqueued."""
        ...

    def is_pending(self, community: str, decision_id: str) -> bool:
        """Accepted for this community and not decided yet (or decided very recently)."""
        ...

    def submit(self, posts: Sequence[Post], *, received_at: datetime, queue: str) -> None: ...

    def resubmit(self, items: Sequence[tuple[Post, datetime, str]]) -> None:
        """Queue again (post, received at, queue) held in the store: swept or retried by an operator."""
        ...

    def deliver(self, delivery_ids: Sequence[str], *, queue: str) -> None: ...

    def depths(self) -> dict[str, int]: ...

    def ping(self) -> None: ...

    def start(self) -> None:
        """Begin working (the embedded runner's threads); a no-op for Celery."""
        ...

    def close(self) -> None: ...


class _ReadOnly:
    """A store a candidate version reads through: every read passes, `record` keeps nothing."""

    def __init__(self, store: Any) -> None:
        self._store = store

    @classmethod
    def of(cls, store: T | None) -> T | None:
        return cast(T, cls(store)) if store is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Decided:
    decisions: list[Decision]
    # (delivery id, queue) of deliveries still to send.
    deliveries: list[tuple[str, str]]
    # (action id, queue) of platform actions still to carry out (see service/plugins/dispatch.py).
    actions: list[tuple[str, str]] = field(default_factory=list)


class ActionPlanner(Protocol):
    def plan(self, decisions: Sequence[Decision]) -> list[tuple[str, str]]:
        """Record the platform actions of stored decisions; (action id, queue) of those pending."""
        ...


def queue_for_event(event_type: str) -> str:
    return CRISIS_QUEUE if event_type.startswith("escalation.") else DEFAULT_QUEUE


class Pipeline:
    def __init__(
        self,
        store: Store,
        policies: PolicyLibrary | LivePolicies,
        counters: CounterStore | None,
        *,
        store_post_text: bool = False,
        actions: ActionPlanner | None = None,
        loop: ModeratorLoop | None = None,
        conversations: ConversationStore | None = None,
    ) -> None:
        self.store = store
        # Queues what needs a person and starts escalations' acknowledgement timers.
        self.loop = loop
        self.policies: PolicyLibrary = (
            policies if isinstance(policies, PolicyLibrary) else PolicyLibrary(policies, None)
        )
        self.counters = counters
        self.conversations = conversations
        self.store_post_text = store_post_text
        self._subscribers: dict[str, tuple[float, list[Subscription]]] = {}
        self.actions = actions
        self.identities = StoredIdentities(store)

    def _subscriptions(self, community: str) -> list[Subscription]:
        """A community's webhook subscribers, read at most once a second per process."""
        now = time.monotonic()
        cached = self._subscribers.get(community)
        if cached is None or now - cached[0] > SUBSCRIBERS_TTL_SECONDS:
            cached = (now, self.store.list_subscriptions(community))
            self._subscribers[community] = cached
        return cached[1]

    def _counter_batch(self, posts: Sequence[Post], window_seconds: int) -> AbstractContextManager[None]:
        """One read and one write of the counters for a whole batch, where the store can; the
        read goes back `window_seconds`, the longest window of the sets judging these posts."""
        batch = getattr(self.counters, "batch", None)
        if batch is None:
            return nullcontext()
        since = time.time() - window_seconds
        return cast(AbstractContextManager[None], batch(((p.community, p.author.id) for p in posts), since=since))

    def _conversation_batch(self, posts: Sequence[Post]) -> AbstractContextManager[None]:
        """One read of the batch's parents and one write of their turns, where the store can."""
        batch = getattr(self.conversations, "batch", None)
        if batch is None:
            return nullcontext()
        parents = [(p.community, p.platform, p.thread_key, p.parent_id) for p in posts if p.parent_id is not None]
        return cast(AbstractContextManager[None], batch(parents))

    def decide(self, posts: Sequence[Post], received_at: datetime | Sequence[datetime]) -> Decided:
        """Evaluate and store the posts not decided yet. Safe to run again on the same posts.

        `received_at` is when the API accepted them: one time for all, or one per post.
        """
        times = [received_at] * len(posts) if isinstance(received_at, datetime) else list(received_at)
        # Each post's id worked out once (a UUID of its key): the batch asks for it three times.
        ids = {p.key: p.decision_id() for p in posts}
        accepted_at = {ids[p.key]: at for p, at in zip(posts, times, strict=True)}
        # Decided by an earlier run of this task that died before sending what they raise:
        # their deliveries and actions still pending are handed out again.
        earlier = self.store.get_decisions(list(accepted_at))
        done = {d.id for d in earlier}
        todo = [p for p in posts if ids[p.key] not in done]
        decisions: list[tuple[Decision, dict[str, Any] | None]] = []
        candidates: list[tuple[int, Decision]] = []
        # Each post's set, resolved once: the counters' read needs their windows before judging.
        policy_sets = [self.policies.for_post(post) for post in todo]
        # Every post's patterns found before any post is judged (see haven.policy.prepare),
        # each with the time it took, which is part of the post's evaluation time.
        prepared: list[tuple[PreparedText, float]] = []
        for post, policy_set in zip(todo, policy_sets, strict=True):
            started = time.perf_counter()
            prepared.append((prepare(policy_set, post), time.perf_counter() - started))
        with ExitStack() as batches:
            if todo:
                window = max(policy_set.longest_counter_seconds for policy_set in policy_sets)
                batches.enter_context(self._counter_batch(todo, window))
                batches.enter_context(self._conversation_batch(todo))
            for post, policy_set, (ready, preparing) in zip(todo, policy_sets, prepared, strict=True):
                started = time.perf_counter() - preparing
                now = datetime.now(UTC)
                candidate = self.policies.candidate_for(post)
                if candidate is not None:
                    # Judged beside the active version, never acting: it reads the author's and the
                    # thread's history and adds nothing to it; first, so it sees the history as the
                    # active version does.
                    version, candidate_set = candidate
                    shadow = evaluate(
                        candidate_set, post, now=now, counters=_ReadOnly.of(self.counters),
                        conversations=_ReadOnly.of(self.conversations), decision_id=ids[post.key],
                    )  # fmt: skip
                    candidates.append((version, shadow))
                    started = time.perf_counter() - preparing
                decision = evaluate(
                    policy_set, post, now=now, counters=self.counters, conversations=self.conversations,
                    decision_id=ids[post.key], identities=self.identities, prepared=ready,
                )  # fmt: skip
                elapsed_ms = (time.perf_counter() - started) * 1000
                decision.timings.evaluation_ms = decision.timings.evaluation_ms or elapsed_ms
                decision.timings.received_at = accepted_at[decision.id]
                decision.timings.decided_at = datetime.now(UTC)
                # A post that names a protected identity is never kept whole, whatever the setting.
                keep_text = self.store_post_text and not _names_protected_identity(decision)
                text = {"title": post.title, "body": post.body} if keep_text else None
                decisions.append((decision, text))
        new_deliveries = []
        for decision in [d for d, _ in decisions] + earlier:
            events = decision_events(decision, self.loop.links(decision.id) if self.loop is not None else None)
            if not events:
                continue
            new_deliveries += deliveries_for(
                self._subscriptions(decision.post.community),
                events,
                event_key=decision.id,
                decision_id=decision.id,
                ingested_at=accepted_at[decision.id],
            )
        loop = self.loop
        # The review queue and the escalations' timers are written in the decisions' own
        # transaction: one commit a task instead of three, and never a decision without them.
        track = (lambda within: loop.track([d for d, _ in decisions] + earlier, within=within)) if loop else None
        pending = set(self.store.record_decisions(decisions, new_deliveries, settled=list(accepted_at), then=track))
        if candidates:
            self.store.record_candidate_decisions(candidates)
        for decision, _ in decisions:
            metrics.observe_decision(decision)
            log.info(
                "decision.stored",
                extra={
                    "decision_id": decision.id,
                    "community": decision.post.community,
                    "verdict": decision.verdict,
                    "categories": decision.categories,
                    "policy_version": decision.policy_version,
                },
            )
        stored = [d for d, _ in decisions]
        return Decided(
            decisions=stored,
            deliveries=[(d.id, queue_for_event(d.event_type)) for d in new_deliveries if d.id in pending],
            actions=self.actions.plan(stored + earlier) if self.actions is not None else [],
        )


def _names_protected_identity(decision: Decision) -> bool:
    return any(e.matcher == PROTECTED_IDENTITY for m in decision.matches + decision.shadow_matches for e in m.evidence)


def record_review(
    store: Store,
    work: WorkQueue,
    community: str,
    decision_id: str,
    *,
    outcome: str,
    moderator: str,
    note: str,
    loop: ModeratorLoop | None = None,
    on_acknowledged: Callable[[Escalation], None] | None = None,
) -> Review | None:
    """Store a moderator's review and send review.recorded to the community's subscribers; the
    decision leaves the review queue, and an open escalation counts as acknowledged (then
    `on_acknowledged` hears of it)."""
    review = store.add_review(community, decision_id, outcome, moderator, note)
    if review is None:
        return None
    if loop is not None:
        acknowledged, escalation = loop.reviewed(store, community, decision_id, moderator)
        if acknowledged:
            work.deliver(acknowledged, queue=CRISIS_QUEUE)
        if escalation is not None and on_acknowledged is not None:
            on_acknowledged(escalation)
    stored = store.get_decision(community, decision_id)
    if stored is not None:
        metrics.observe_review(stored.decision, outcome)
    deliveries = deliveries_for(
        store.list_subscriptions(community),
        [review_event(review, community, loop.links(decision_id) if loop is not None else None)],
        event_key=review.id,
        decision_id=decision_id,
    )
    pending = store.add_deliveries(deliveries)
    if pending:
        work.deliver(pending, queue=DEFAULT_QUEUE)
    log.info(
        "review.recorded",
        extra={"review_id": review.id, "decision_id": decision_id, "outcome": outcome},
    )
    return review
