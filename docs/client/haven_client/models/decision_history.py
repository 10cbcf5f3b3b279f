from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.action_report import ActionReport
    from ..models.decision import Decision
    from ..models.delivery_report import DeliveryReport
    from ..models.escalation import Escalation
    from ..models.history_entry import HistoryEntry
    from ..models.queue_state import QueueState
    from ..models.review import Review


T = TypeVar("T", bound="DecisionHistory")


@_attrs_define
class DecisionHistory:
    """
    Attributes:
        decision (Decision):
        timeline (list[HistoryEntry]): Everything below, in time order, oldest first.
        reviews (list[Review]): Moderators' reviews, oldest first.
        escalation (Escalation | None): The escalation's acknowledgement and reminders (null when it did not escalate).
        queue (None | QueueState): Its place in the review queue (null when it never needed a person).
        deliveries (list[DeliveryReport]): Webhook deliveries of events about it, oldest first: event, status and
            attempts.
        actions (list[ActionReport]): What the platform's plugin did about it.
    """

    decision: Decision
    timeline: list[HistoryEntry]
    reviews: list[Review]
    escalation: Escalation | None
    queue: None | QueueState
    deliveries: list[DeliveryReport]
    actions: list[ActionReport]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.escalation import Escalation
        from ..models.queue_state import QueueState

        decision = self.decision.to_dict()

        timeline = []
        for timeline_item_data in self.timeline:
            timeline_item = timeline_item_data.to_dict()
            timeline.append(timeline_item)

        reviews = []
        for reviews_item_data in self.reviews:
            reviews_item = reviews_item_data.to_dict()
            reviews.append(reviews_item)

        escalation: dict[str, Any] | None
        if isinstance(self.escalation, Escalation):
            escalation = self.escalation.to_dict()
        else:
            escalation = self.escalation

        queue: dict[str, Any] | None
        if isinstance(self.queue, QueueState):
            queue = self.queue.to_dict()
        else:
            queue = self.queue

        deliveries = []
        for deliveries_item_data in self.deliveries:
            deliveries_item = deliveries_item_data.to_dict()
            deliveries.append(deliveries_item)

        actions = []
        for actions_item_data in self.actions:
            actions_item = actions_item_data.to_dict()
            actions.append(actions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decision": decision,
                "timeline": timeline,
                "reviews": reviews,
                "escalation": escalation,
                "queue": queue,
                "deliveries": deliveries,
                "actions": actions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action_report import ActionReport
        from ..models.decision import Decision
        from ..models.delivery_report import DeliveryReport
        from ..models.escalation import Escalation
        from ..models.history_entry import HistoryEntry
        from ..models.queue_state import QueueState
        from ..models.review import Review

        d = dict(src_dict)
        decision = Decision.from_dict(d.pop("decision"))

        timeline = []
        _timeline = d.pop("timeline")
        for timeline_item_data in _timeline:
            timeline_item = HistoryEntry.from_dict(timeline_item_data)

            timeline.append(timeline_item)

        reviews = []
        _reviews = d.pop("reviews")
        for reviews_item_data in _reviews:
            reviews_item = Review.from_dict(reviews_item_data)

            reviews.append(reviews_item)

        def _parse_escalation(data: object) -> Escalation | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                escalation_type_0 = Escalation.from_dict(data)

                return escalation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Escalation | None, data)

        escalation = _parse_escalation(d.pop("escalation"))

        def _parse_queue(data: object) -> None | QueueState:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                queue_type_0 = QueueState.from_dict(data)

                return queue_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | QueueState, data)

        queue = _parse_queue(d.pop("queue"))

        deliveries = []
        _deliveries = d.pop("deliveries")
        for deliveries_item_data in _deliveries:
            deliveries_item = DeliveryReport.from_dict(deliveries_item_data)

            deliveries.append(deliveries_item)

        actions = []
        _actions = d.pop("actions")
        for actions_item_data in _actions:
            actions_item = ActionReport.from_dict(actions_item_data)

            actions.append(actions_item)

        decision_history = cls(
            decision=decision,
            timeline=timeline,
            reviews=reviews,
            escalation=escalation,
            queue=queue,
            deliveries=deliveries,
            actions=actions,
        )

        decision_history.additional_properties = d
        return decision_history

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
