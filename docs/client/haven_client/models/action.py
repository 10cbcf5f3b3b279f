from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.action_target import ActionTarget
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.action_params import ActionParams


T = TypeVar("T", bound="Action")


@_attrs_define
class Action:
    """
    Attributes:
        kind (str): The neutral action: flag_for_review, hold, remove, escalate, reply, notify_author, redact, label,
            lock or silence.
        params (ActionParams | Unset): The action's settings from the rule (template, crisis lines, label).
        target (ActionTarget | Unset): What the action applies to. Default: ActionTarget.POST.
        rules (list[str] | Unset): The rules that asked for it.
    """

    kind: str
    params: ActionParams | Unset = UNSET
    target: ActionTarget | Unset = ActionTarget.POST
    rules: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        target: str | Unset = UNSET
        if not isinstance(self.target, Unset):
            target = self.target.value

        rules: list[str] | Unset = UNSET
        if not isinstance(self.rules, Unset):
            rules = self.rules

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
            }
        )
        if params is not UNSET:
            field_dict["params"] = params
        if target is not UNSET:
            field_dict["target"] = target
        if rules is not UNSET:
            field_dict["rules"] = rules

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action_params import ActionParams

        d = dict(src_dict)
        kind = d.pop("kind")

        _params = d.pop("params", UNSET)
        params: ActionParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = ActionParams.from_dict(_params)

        _target = d.pop("target", UNSET)
        target: ActionTarget | Unset
        if isinstance(_target, Unset):
            target = UNSET
        else:
            target = ActionTarget(_target)

        rules = cast(list[str], d.pop("rules", UNSET))

        action = cls(
            kind=kind,
            params=params,
            target=target,
            rules=rules,
        )

        action.additional_properties = d
        return action

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
