from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.decision_resource_status import DecisionResourceStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decision import Decision
    from ..models.review import Review


T = TypeVar("T", bound="DecisionResource")


@_attrs_define
class DecisionResource:
    """
    Attributes:
        id (str): The decision's id.
        url (str): This resource's path.
        status (DecisionResourceStatus): pending while the post waits to be judged, then decided; failed while it is
            parked after every attempt at it failed.
        decision (Decision | None | Unset): The decision, once decided.
        reviews (list[Review] | Unset): Moderators' reviews of it, oldest first.
        reason (None | str | Unset): Why it is parked (failed only).
    """

    id: str
    url: str
    status: DecisionResourceStatus
    decision: Decision | None | Unset = UNSET
    reviews: list[Review] | Unset = UNSET
    reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.decision import Decision

        id = self.id

        url = self.url

        status = self.status.value

        decision: dict[str, Any] | None | Unset
        if isinstance(self.decision, Unset):
            decision = UNSET
        elif isinstance(self.decision, Decision):
            decision = self.decision.to_dict()
        else:
            decision = self.decision

        reviews: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.reviews, Unset):
            reviews = []
            for reviews_item_data in self.reviews:
                reviews_item = reviews_item_data.to_dict()
                reviews.append(reviews_item)

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "status": status,
            }
        )
        if decision is not UNSET:
            field_dict["decision"] = decision
        if reviews is not UNSET:
            field_dict["reviews"] = reviews
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.decision import Decision
        from ..models.review import Review

        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        status = DecisionResourceStatus(d.pop("status"))

        def _parse_decision(data: object) -> Decision | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                decision_type_0 = Decision.from_dict(data)

                return decision_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Decision | None | Unset, data)

        decision = _parse_decision(d.pop("decision", UNSET))

        _reviews = d.pop("reviews", UNSET)
        reviews: list[Review] | Unset = UNSET
        if _reviews is not UNSET:
            reviews = []
            for reviews_item_data in _reviews:
                reviews_item = Review.from_dict(reviews_item_data)

                reviews.append(reviews_item)

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        decision_resource = cls(
            id=id,
            url=url,
            status=status,
            decision=decision,
            reviews=reviews,
            reason=reason,
        )

        decision_resource.additional_properties = d
        return decision_resource

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
