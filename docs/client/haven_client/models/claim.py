from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.claim_links import ClaimLinks
    from ..models.decision import Decision


T = TypeVar("T", bound="Claim")


@_attrs_define
class Claim:
    """
    Attributes:
        decision_id (str): The claimed decision.
        claimed_by (str): Who holds the claim.
        claimed_until (datetime.datetime): When the claim ends unless reviewed.
        crisis_in_row (int): The moderator's crisis claims in a row, this one included.
        decision (Decision):
        links (ClaimLinks): Where to review or acknowledge it.
    """

    decision_id: str
    claimed_by: str
    claimed_until: datetime.datetime
    crisis_in_row: int
    decision: Decision
    links: ClaimLinks
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decision_id = self.decision_id

        claimed_by = self.claimed_by

        claimed_until = self.claimed_until.isoformat()

        crisis_in_row = self.crisis_in_row

        decision = self.decision.to_dict()

        links = self.links.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decision_id": decision_id,
                "claimed_by": claimed_by,
                "claimed_until": claimed_until,
                "crisis_in_row": crisis_in_row,
                "decision": decision,
                "links": links,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.claim_links import ClaimLinks
        from ..models.decision import Decision

        d = dict(src_dict)
        decision_id = d.pop("decision_id")

        claimed_by = d.pop("claimed_by")

        claimed_until = datetime.datetime.fromisoformat(d.pop("claimed_until"))

        crisis_in_row = d.pop("crisis_in_row")

        decision = Decision.from_dict(d.pop("decision"))

        links = ClaimLinks.from_dict(d.pop("links"))

        claim = cls(
            decision_id=decision_id,
            claimed_by=claimed_by,
            claimed_until=claimed_until,
            crisis_in_row=crisis_in_row,
            decision=decision,
            links=links,
        )

        claim.additional_properties = d
        return claim

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
