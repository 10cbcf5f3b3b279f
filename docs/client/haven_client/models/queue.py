from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.queue_entry import QueueEntry


T = TypeVar("T", bound="Queue")


@_attrs_define
class Queue:
    """
    Attributes:
        items (list[QueueEntry]): Decisions waiting for a person, crisis first (unless past the crisis cap).
        evidence_blurred (bool): Evidence is left out of the list (HAVEN_QUEUE_BLUR_EVIDENCE).
        crisis_in_row (int | Unset): The asking moderator's crisis claims in a row. Default: 0.
        crisis_cap (int | Unset): After this many crisis claims in a row, other work comes first for that moderator.
            Default: 0.
    """

    items: list[QueueEntry]
    evidence_blurred: bool
    crisis_in_row: int | Unset = 0
    crisis_cap: int | Unset = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        evidence_blurred = self.evidence_blurred

        crisis_in_row = self.crisis_in_row

        crisis_cap = self.crisis_cap

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "evidence_blurred": evidence_blurred,
            }
        )
        if crisis_in_row is not UNSET:
            field_dict["crisis_in_row"] = crisis_in_row
        if crisis_cap is not UNSET:
            field_dict["crisis_cap"] = crisis_cap

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.queue_entry import QueueEntry

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = QueueEntry.from_dict(items_item_data)

            items.append(items_item)

        evidence_blurred = d.pop("evidence_blurred")

        crisis_in_row = d.pop("crisis_in_row", UNSET)

        crisis_cap = d.pop("crisis_cap", UNSET)

        queue = cls(
            items=items,
            evidence_blurred=evidence_blurred,
            crisis_in_row=crisis_in_row,
            crisis_cap=crisis_cap,
        )

        queue.additional_properties = d
        return queue

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
