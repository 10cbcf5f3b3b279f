from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.evidence_field import EvidenceField

T = TypeVar("T", bound="Evidence")


@_attrs_define
class Evidence:
    """
    Attributes:
        field (EvidenceField): The field the words are in.
        start (int): First character, counted from 0.
        end (int): One past the last character.
        text (str): The words themselves.
        matcher (str): Which matcher of the rule found them.
    """

    field: EvidenceField
    start: int
    end: int
    text: str
    matcher: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field = self.field.value

        start = self.start

        end = self.end

        text = self.text

        matcher = self.matcher

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "field": field,
                "start": start,
                "end": end,
                "text": text,
                "matcher": matcher,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        field = EvidenceField(d.pop("field"))

        start = d.pop("start")

        end = d.pop("end")

        text = d.pop("text")

        matcher = d.pop("matcher")

        evidence = cls(
            field=field,
            start=start,
            end=end,
            text=text,
            matcher=matcher,
        )

        evidence.additional_properties = d
        return evidence

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
