"""Which events a decision or review raises, and one delivery of each per subscriber."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from haven.domain import Decision, Verdict, WebhookEvent
from haven.store.records import NewDelivery, Review, Subscription

_DELIVERY_NAMESPACE = uuid.UUID("0b6f4c39-5b1e-4f5e-8d2a-3f6f0e7d1c55")


def decision_events(decision: Decision, links: dict[str, str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """decision.created for every decision that is not allow; escalation.created for escalations;
    conversation.flagged for each enforced conversation rule that fired.

    `links` (review, acknowledge, console) go into the data beside the decision's own fields."""
    if decision.verdict == Verdict.ALLOW.label:
        return []
    data = msgspec.to_builtins(decision)
    if links:
        data["links"] = links
    events = [("decision.created", data)]
    if decision.verdict == Verdict.ESCALATE.label:
        events.append(("escalation.created", data))
    for flag in conversation_flags(decision):
        events.append(("conversation.flagged", {**flag, "links": links} if links else flag))
    return events


def conversation_flags(decision: Decision) -> list[dict[str, Any]]:
    """One `conversation.flagged` body per conversation rule that fired: the thread, the dynamic,
    the decisions involved (the earlier ones, then this one) and the suggested actions."""
    flags = []
    for match in decision.matches:
        if not match.conversation:
            continue
        rule = f"{match.policy}/{match.rule}"
        involved = [d for found in match.conversation for d in found.decisions]
        flags.append(
            {
                "decision_id": decision.id,
                "thread": {
                    "platform": decision.post.platform,
                    "community": decision.post.community,
                    "thread_id": decision.post.thread_id or decision.post.external_id,
                },
                "dynamic": match.category,
                "rule": rule,
                "description": match.description,
                "severity": match.severity,
                "members": sorted({found.member for found in match.conversation if found.member}),
                "summary": "; ".join(found.summary for found in match.conversation),
                "decisions": [*dict.fromkeys(involved), decision.id],
                "suggested_actions": [
                    {"kind": a.kind, "target": a.target, "params": {k: v for k, v in a.params.items() if k != "text"}}
                    for a in decision.actions
                    if rule in a.rules
                ],
                "post": msgspec.to_builtins(decision.post),
            }
        )
    return flags


def review_event(review: Review, community: str, links: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    data = {**msgspec.to_builtins(review), "community": community}
    if links:
        data["links"] = links
    return "review.recorded", data


def escalation_event(event_type: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """escalation.acknowledged, .reminder or .unacknowledged: the escalation's state and its
    links (and for a reminder or the on-call notice, the decision)."""
    return event_type, msgspec.to_builtins(data)


def deliveries_for(
    subscriptions: Iterable[Subscription],
    events: Sequence[tuple[str, dict[str, Any]]],
    *,
    event_key: str,
    decision_id: str | None,
    ingested_at: datetime | None = None,
    now: datetime | None = None,
) -> list[NewDelivery]:
    """One delivery per (subscriber, event); the id derives from both, so re-runs dedupe.

    `decision_id` names the decision the events are about, so its history lists them."""
    timestamp = now or datetime.now(UTC)
    deliveries = []
    for subscription in subscriptions:
        seen: dict[str, int] = {}
        for event_type, data in events:
            # A decision can raise one event type more than once (two conversation rules
            # fired): each gets its own stable id.
            nth = seen[event_type] = seen.get(event_type, -1) + 1
            if event_type not in subscription.event_types:
                continue
            name = f"{subscription.id}/{event_type}/{event_key}" + (f"/{nth}" if nth else "")
            body = WebhookEvent(type=event_type, timestamp=timestamp, data=data)
            deliveries.append(
                NewDelivery(
                    id="msg_" + uuid.uuid5(_DELIVERY_NAMESPACE, name).hex,
                    subscription_id=subscription.id,
                    community=subscription.community,
                    event_type=event_type,
                    payload=msgspec.json.encode(body).decode(),
                    ingested_at=ingested_at,
                    decision_id=decision_id,
                )
            )
    return deliveries
