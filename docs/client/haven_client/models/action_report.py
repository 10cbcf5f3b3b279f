from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.action_attempt import ActionAttempt
    from ..models.platform_action import PlatformAction


T = TypeVar("T", bound="ActionReport")


@_attrs_define
class ActionReport:
    """
    Attributes:
        action (PlatformAction):
        attempts (list[ActionAttempt]): Every attempt at carrying it out, oldest first.
    """

    action: PlatformAction
    attempts: list[ActionAttempt]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action.to_dict()

        attempts = []
        for attempts_item_data in self.attempts:
            attempts_item = attempts_item_data.to_dict()
            attempts.append(attempts_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "attempts": attempts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action_attempt import ActionAttempt
        from ..models.platform_action import PlatformAction

        d = dict(src_dict)
        action = PlatformAction.from_dict(d.pop("action"))

        attempts = []
        _attempts = d.pop("attempts")
        for attempts_item_data in _attempts:
            attempts_item = ActionAttempt.from_dict(attempts_item_data)

            attempts.append(attempts_item)

        action_report = cls(
            action=action,
            attempts=attempts,
        )

        action_report.additional_properties = d
        return action_report

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
