from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.decision import Decision


T = TypeVar("T", bound="ExplainOut")


@_attrs_define
class ExplainOut:
    """
    Attributes:
        decision (Decision):
        not_fired (list[str]): Why rules near the text did not fire.
    """

    decision: Decision
    not_fired: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision.to_dict()

        not_fired = self.not_fired

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decision": decision,
                "not_fired": not_fired,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.decision import Decision

        d = dict(src_dict)
        decision = Decision.from_dict(d.pop("decision"))

        not_fired = cast(list[str], d.pop("not_fired"))

        explain_out = cls(
            decision=decision,
            not_fired=not_fired,
        )

        explain_out.additional_properties = d
        return explain_out

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
