from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_out import RuleOut


T = TypeVar("T", bound="PolicyOut")


@_attrs_define
class PolicyOut:
    """
    Attributes:
        id (str): The policy's id.
        layer (str): base, community:<c> or channel:<c>/<channel>.
        source (str): "file" (a policy folder) or "api" (uploaded).
        channel (None | str | Unset): The channel of a channel layer.
        version (int | None | Unset): The community's API version it comes from.
        rules (list[RuleOut] | Unset): Its rules, as in force.
        overrides (list[str] | Unset): Rules of lower layers this document changes or switches off.
    """

    id: str
    layer: str
    source: str
    channel: None | str | Unset = UNSET
    version: int | None | Unset = UNSET
    rules: list[RuleOut] | Unset = UNSET
    overrides: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        layer = self.layer

        source = self.source

        channel: None | str | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        rules: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.rules, Unset):
            rules = []
            for rules_item_data in self.rules:
                rules_item = rules_item_data.to_dict()
                rules.append(rules_item)

        overrides: list[str] | Unset = UNSET
        if not isinstance(self.overrides, Unset):
            overrides = self.overrides

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "layer": layer,
                "source": source,
            }
        )
        if channel is not UNSET:
            field_dict["channel"] = channel
        if version is not UNSET:
            field_dict["version"] = version
        if rules is not UNSET:
            field_dict["rules"] = rules
        if overrides is not UNSET:
            field_dict["overrides"] = overrides

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.rule_out import RuleOut

        d = dict(src_dict)
        id = d.pop("id")

        layer = d.pop("layer")

        source = d.pop("source")

        def _parse_channel(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        _rules = d.pop("rules", UNSET)
        rules: list[RuleOut] | Unset = UNSET
        if _rules is not UNSET:
            rules = []
            for rules_item_data in _rules:
                rules_item = RuleOut.from_dict(rules_item_data)

                rules.append(rules_item)

        overrides = cast(list[str], d.pop("overrides", UNSET))

        policy_out = cls(
            id=id,
            layer=layer,
            source=source,
            channel=channel,
            version=version,
            rules=rules,
            overrides=overrides,
        )

        policy_out.additional_properties = d
        return policy_out

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
