from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PlatformAction")


@_attrs_define
class PlatformAction:
    """
    Attributes:
        id (str): The action's key: decision id, kind and template or name.
        decision_id (str): The decision that asked for it.
        community (str): Its community.
        platform (str): The plugin that carries it out.
        external_id (str): The post's id on the platform.
        kind (str): The neutral action.
        status (str): pending, done, unsupported, failed, skipped or cancelled.
        attempts (int): Attempts made so far.
        platform_ref (None | str): The platform's id of what the action created, for undoing it.
    """

    id: str
    decision_id: str
    community: str
    platform: str
    external_id: str
    kind: str
    status: str
    attempts: int
    platform_ref: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        decision_id = self.decision_id

        community = self.community

        platform = self.platform

        external_id = self.external_id

        kind = self.kind

        status = self.status

        attempts = self.attempts

        platform_ref: None | str
        platform_ref = self.platform_ref

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "decision_id": decision_id,
                "community": community,
                "platform": platform,
                "external_id": external_id,
                "kind": kind,
                "status": status,
                "attempts": attempts,
                "platform_ref": platform_ref,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        decision_id = d.pop("decision_id")

        community = d.pop("community")

        platform = d.pop("platform")

        external_id = d.pop("external_id")

        kind = d.pop("kind")

        status = d.pop("status")

        attempts = d.pop("attempts")

        def _parse_platform_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        platform_ref = _parse_platform_ref(d.pop("platform_ref"))

        platform_action = cls(
            id=id,
            decision_id=decision_id,
            community=community,
            platform=platform,
            external_id=external_id,
            kind=kind,
            status=status,
            attempts=attempts,
            platform_ref=platform_ref,
        )

        platform_action.additional_properties = d
        return platform_action

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
