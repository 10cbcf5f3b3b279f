from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ProtectedIdentityOut")


@_attrs_define
class ProtectedIdentityOut:
    """
    Attributes:
        id (str): The registration's id.
        member (None | str): The member's author id, when given.
        names (int): How many names it protects (never which).
        created_at (datetime.datetime): When it was registered.
        matched_by (list[str]): The enforced rules that hold a post naming one of them; empty means none would.
    """

    id: str
    member: None | str
    names: int
    created_at: datetime.datetime
    matched_by: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        member: None | str
        member = self.member

        names = self.names

        created_at = self.created_at.isoformat()

        matched_by = self.matched_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "member": member,
                "names": names,
                "created_at": created_at,
                "matched_by": matched_by,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_member(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        member = _parse_member(d.pop("member"))

        names = d.pop("names")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        matched_by = cast(list[str], d.pop("matched_by"))

        protected_identity_out = cls(
            id=id,
            member=member,
            names=names,
            created_at=created_at,
            matched_by=matched_by,
        )

        protected_identity_out.additional_properties = d
        return protected_identity_out

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
