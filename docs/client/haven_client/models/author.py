from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Author")


@_attrs_define
class Author:
    """Who wrote it.

    Attributes:
        id (str): The author's id on the platform.
        name (None | str | Unset): The author's display name, if the platform gives it.
        created_at (datetime.datetime | None | Unset): When the author's account was created.
        trust_level (int | None | Unset): The platform's trust level (Discourse 0 to 4).
        is_moderator (bool | Unset): The author moderates this community. Default: False.
        is_staff (bool | Unset): The author is the platform's staff. Default: False.
        karma (int | None | Unset): The author's karma, where the platform counts it (Reddit).
    """

    id: str
    name: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    trust_level: int | None | Unset = UNSET
    is_moderator: bool | Unset = False
    is_staff: bool | Unset = False
    karma: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        trust_level: int | None | Unset
        if isinstance(self.trust_level, Unset):
            trust_level = UNSET
        else:
            trust_level = self.trust_level

        is_moderator = self.is_moderator

        is_staff = self.is_staff

        karma: int | None | Unset
        if isinstance(self.karma, Unset):
            karma = UNSET
        else:
            karma = self.karma

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if trust_level is not UNSET:
            field_dict["trust_level"] = trust_level
        if is_moderator is not UNSET:
            field_dict["is_moderator"] = is_moderator
        if is_staff is not UNSET:
            field_dict["is_staff"] = is_staff
        if karma is not UNSET:
            field_dict["karma"] = karma

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_created_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_at = _parse_created_at(d.pop("created_at", UNSET))

        def _parse_trust_level(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        trust_level = _parse_trust_level(d.pop("trust_level", UNSET))

        is_moderator = d.pop("is_moderator", UNSET)

        is_staff = d.pop("is_staff", UNSET)

        def _parse_karma(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        karma = _parse_karma(d.pop("karma", UNSET))

        author = cls(
            id=id,
            name=name,
            created_at=created_at,
            trust_level=trust_level,
            is_moderator=is_moderator,
            is_staff=is_staff,
            karma=karma,
        )

        author.additional_properties = d
        return author

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
