"""What happens after a decision reaches a person: its place in the review queue, the
escalation's acknowledgement timer, reminders and the on-call notice, claims and reviews.

The state lives in the database (`EscalationLedger`, `ReviewQueueStore`); `sweep` is run by
`haven scheduler` (full mode) or a thread of `haven serve` (embedded), so a restart of either
loses no timer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from haven import metrics
from haven.config import ModerationSettings
from haven.domain import SEVERITY_RANK, Decision, Verdict
from haven.moderation.links import decision_links
from haven.store.escalations import Escalation, EscalationLedger, NewEscalation
from haven.store.repository import Store
from haven.store.review_queue import ClaimResult, QueueItem, ReviewQueueStore
from haven.webhooks.events import deliveries_for, escalation_event

log = logging.getLogger("haven.moderation")

# Verdicts a person must look at: they enter the review queue.
NEEDS_A_PERSON = frozenset({Verdict.REVIEW.label, Verdict.HOLD.label, Verdict.REMOVE.label, Verdict.ESCALATE.label})


def is_escalation(decision: Decision) -> bool:
    return decision.verdict == Verdict.ESCALATE.label


def severity_of(decision: Decision) -> int:
    return max((SEVERITY_RANK[m.severity] for m in decision.matches), default=0)


class NotAnEscalation(Exception):
    """The decision exists but did not escalate: there is nothing to acknowledge."""


@dataclass(frozen=True)
class Reminder:
    """A reminder (or, `final`, the on-call notice) of an escalation, for the post's plugin."""

    community: str
    decision_id: str
    number: int
    final: bool


@dataclass
class Swept:
    # Webhook deliveries to send now (all on the crisis queue).
    deliveries: list[str] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)


@dataclass
class ModeratorLoop:
    settings: ModerationSettings
    escalations: EscalationLedger
    queue: ReviewQueueStore

    @classmethod
    def on(cls, engine: Engine, settings: ModerationSettings) -> ModeratorLoop:
        return cls(settings, EscalationLedger(engine), ReviewQueueStore(engine))

    def links(self, decision_id: str) -> dict[str, str]:
        return decision_links(self.settings, decision_id)

    # Decisions come in

    def track(self, decisions: Sequence[Decision], *, within: Connection | None = None) -> None:
        """Queue the decisions that need a person and start their escalations' timers
        (idempotent); `within`: the transaction that stores the decisions, to join."""
        now = datetime.now(UTC)
        waiting = [d for d in decisions if d.mode == "enforce" and d.verdict in NEEDS_A_PERSON]
        if not waiting:
            return
        self.queue.add(
            [
                QueueItem(
                    decision_id=d.id,
                    community=d.post.community,
                    crisis=is_escalation(d),
                    severity=severity_of(d),
                    received_at=d.timings.received_at or now,
                )
                for d in waiting
            ],
            within=within,
        )
        opened = []
        for decision in filter(is_escalation, waiting):
            at = decision.timings.decided_at or now
            opened.append(
                NewEscalation(
                    decision_id=decision.id,
                    community=decision.post.community,
                    opened_at=at,
                    first_due_at=self.due_at(at, 0),
                )
            )
        self.escalations.open(opened, within=within)

    def due_at(self, opened_at: datetime, reminders_sent: int) -> datetime:
        """When the next reminder (after the last, the on-call notice) is due: the first wait is
        HAVEN_ESCALATION_ACK_SECONDS, each later one HAVEN_ESCALATION_REMINDER_GROWTH times longer."""
        ack, growth = self.settings.ack_seconds, self.settings.reminder_growth
        return opened_at + timedelta(seconds=sum(ack * growth**i for i in range(reminders_sent + 1)))

    # Timers

    def sweep(self, store: Store, now: datetime | None = None) -> Swept:
        """Send what is due: a reminder, or after the last one, escalation.unacknowledged."""
        now = now or datetime.now(UTC)
        swept = Swept()
        for escalation in self.escalations.due(now):
            stored = store.get_decision(escalation.community, escalation.decision_id)
            if stored is None:
                continue
            final = escalation.reminders_sent >= self.settings.reminders
            if final:
                won = self.escalations.advance(escalation, next_due_at=None, unacknowledged_at=now, now=now)
                event_type, number = "escalation.unacknowledged", escalation.reminders_sent
            else:
                number = escalation.reminders_sent + 1
                won = self.escalations.advance(
                    escalation,
                    next_due_at=self.due_at(escalation.opened_at, number),
                    unacknowledged_at=None,
                    now=now,
                )
                event_type = "escalation.reminder"
            if not won:
                continue  # acknowledged meanwhile, or another sweep sent it
            data = {
                **self._state(escalation, reminders_sent=number),
                "reminder": number,
                "decision": stored.decision,
                "links": self.links(escalation.decision_id),
            }
            event = escalation_event(event_type, data)
            swept.deliveries += store.add_deliveries(
                deliveries_for(
                    store.list_subscriptions(escalation.community),
                    [event],
                    event_key=f"{escalation.decision_id}/{number}",
                    decision_id=escalation.decision_id,
                )
            )
            swept.reminders.append(Reminder(escalation.community, escalation.decision_id, number, final))
            log.info(
                "escalation.unacknowledged" if final else "escalation.reminder",
                extra={"decision_id": escalation.decision_id, "community": escalation.community, "count": number},
            )
        return swept

    # A moderator acts

    def acknowledge(
        self, store: Store, community: str, decision_id: str, moderator: str
    ) -> tuple[Escalation, list[str], bool]:
        """Record the acknowledgement (the first one counts) and release any claim; returns the
        escalation, the escalation.acknowledged deliveries to send, and whether this call was
        the first acknowledgement.

        Raises LookupError when the community has no such decision, NotAnEscalation when it did
        not escalate."""
        if store.get_decision(community, decision_id) is None:
            raise LookupError(decision_id)
        now = datetime.now(UTC)
        try:
            escalation, fresh = self.escalations.acknowledge(community, decision_id, moderator, now)
        except LookupError:
            raise NotAnEscalation(decision_id) from None
        self.queue.release(decision_id)
        if not fresh:
            return escalation, [], False
        waited = (now - escalation.opened_at).total_seconds()
        metrics.ESCALATION_ACK_SECONDS.observe(max(waited, 0.0))
        event = escalation_event(
            "escalation.acknowledged", {**self._state(escalation), "links": self.links(decision_id)}
        )
        pending = store.add_deliveries(
            deliveries_for(store.list_subscriptions(community), [event], event_key=decision_id, decision_id=decision_id)
        )
        log.info(
            "escalation.acknowledged",
            extra={"decision_id": decision_id, "community": community, "duration_ms": round(waited * 1000)},
        )
        return escalation, pending, True

    def reviewed(
        self, store: Store, community: str, decision_id: str, moderator: str
    ) -> tuple[list[str], Escalation | None]:
        """A review takes the item off the queue, and counts as the escalation's acknowledgement
        (a moderator who upheld or overturned it has seen it): the deliveries to send, and the
        escalation when this review was its first acknowledgement."""
        self.queue.reviewed(decision_id, datetime.now(UTC))
        escalation = self.escalations.get(community, decision_id)
        if escalation is None or escalation.acknowledged_at is not None:
            return [], None
        escalation, pending, fresh = self.acknowledge(store, community, decision_id, moderator)
        return pending, escalation if fresh else None

    def claim(self, community: str, decision_id: str, moderator: str) -> ClaimResult:
        now = datetime.now(UTC)
        return self.queue.claim(
            community, decision_id, moderator, now, now + timedelta(seconds=self.settings.claim_seconds)
        )

    @staticmethod
    def _state(escalation: Escalation, *, reminders_sent: int | None = None) -> dict[str, object]:
        return {
            "decision_id": escalation.decision_id,
            "community": escalation.community,
            "opened_at": escalation.opened_at,
            "acknowledged_at": escalation.acknowledged_at,
            "acknowledged_by": escalation.acknowledged_by,
            "reminders_sent": escalation.reminders_sent if reminders_sent is None else reminders_sent,
        }
