from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="VersionOut")


@_attrs_define
class VersionOut:
    """
    Attributes:
        version (int): The version number.
        status (str): active, candidate or inactive.
        content_hash (str): SHA-256 of the layer's documents.
        author_key (None | str): The API key that uploaded it.
        message (str): What changed, as the author wrote.
        created_at (datetime.datetime): When it was made.
        policies (list[str]): The documents of the layer at this version.
    """

    version: int
    status: str
    content_hash: str
    author_key: None | str
    message: str
    created_at: datetime.datetime
    policies: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        status = self.status

        content_hash = self.content_hash

        author_key: None | str
        author_key = self.author_key

        message = self.message

        created_at = self.created_at.isoformat()

        policies = self.policies

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "version": version,
                "status": status,
                "content_hash": content_hash,
                "author_key": author_key,
                "message": message,
                "created_at": created_at,
                "policies": policies,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        version = d.pop("version")

        status = d.pop("status")

        content_hash = d.pop("content_hash")

        def _parse_author_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        author_key = _parse_author_key(d.pop("author_key"))

        message = d.pop("message")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        policies = cast(list[str], d.pop("policies"))

        version_out = cls(
            version=version,
            status=status,
            content_hash=content_hash,
            author_key=author_key,
            message=message,
            created_at=created_at,
            policies=policies,
        )

        version_out.additional_properties = d
        return version_out

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
