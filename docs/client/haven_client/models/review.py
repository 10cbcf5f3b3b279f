from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.review_outcome import ReviewOutcome

T = TypeVar("T", bound="Review")


@_attrs_define
class Review:
    """
    Attributes:
        id (str): The review's id.
        decision_id (str): The decision reviewed.
        outcome (ReviewOutcome): upheld: the decision was right; overturned: it was wrong, undone where the platform
            allows.
        moderator (str): Who reviewed it (a name or id of your own).
        note (str): The moderator's note.
        created_at (datetime.datetime): When the review was recorded.
    """

    id: str
    decision_id: str
    outcome: ReviewOutcome
    moderator: str
    note: str
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        decision_id = self.decision_id

        outcome = self.outcome.value

        moderator = self.moderator

        note = self.note

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "decision_id": decision_id,
                "outcome": outcome,
                "moderator": moderator,
                "note": note,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        decision_id = d.pop("decision_id")

        outcome = ReviewOutcome(d.pop("outcome"))

        moderator = d.pop("moderator")

        note = d.pop("note")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        review = cls(
            id=id,
            decision_id=decision_id,
            outcome=outcome,
            moderator=moderator,
            note=note,
            created_at=created_at,
        )

        review.additional_properties = d
        return review

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
