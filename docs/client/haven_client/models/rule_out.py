from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RuleOut")


@_attrs_define
class RuleOut:
    """
    Attributes:
        id (str): The rule's id.
        category (str): Its category.
        mode (str): enforce or shadow, after every layer.
        verdict (str): The verdict it gives.
        layer (str): The layer that defines it.
        changed_in (list[str]): The layers above that override it.
    """

    id: str
    category: str
    mode: str
    verdict: str
    layer: str
    changed_in: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        category = self.category

        mode = self.mode

        verdict = self.verdict

        layer = self.layer

        changed_in = self.changed_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "category": category,
                "mode": mode,
                "verdict": verdict,
                "layer": layer,
                "changed_in": changed_in,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        category = d.pop("category")

        mode = d.pop("mode")

        verdict = d.pop("verdict")

        layer = d.pop("layer")

        changed_in = cast(list[str], d.pop("changed_in"))

        rule_out = cls(
            id=id,
            category=category,
            mode=mode,
            verdict=verdict,
            layer=layer,
            changed_in=changed_in,
        )

        rule_out.additional_properties = d
        return rule_out

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
