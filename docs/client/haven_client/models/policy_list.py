from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.policy_out import PolicyOut


T = TypeVar("T", bound="PolicyList")


@_attrs_define
class PolicyList:
    """
    Attributes:
        community (str): The key's community.
        version (int | None): The active API version of its layer, if any.
        candidate (int | None): The candidate version judged in shadow, if any.
        policy_version (str): The effective set's version (content hash), as decisions record it.
        precedence (list[str]): Which source wins, from the top.
        policies (list[PolicyOut]): Every policy in force, with its layer.
    """

    community: str
    version: int | None
    candidate: int | None
    policy_version: str
    precedence: list[str]
    policies: list[PolicyOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        community = self.community

        version: int | None
        version = self.version

        candidate: int | None
        candidate = self.candidate

        policy_version = self.policy_version

        precedence = self.precedence

        policies = []
        for policies_item_data in self.policies:
            policies_item = policies_item_data.to_dict()
            policies.append(policies_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "community": community,
                "version": version,
                "candidate": candidate,
                "policy_version": policy_version,
                "precedence": precedence,
                "policies": policies,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.policy_out import PolicyOut

        d = dict(src_dict)
        community = d.pop("community")

        def _parse_version(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        version = _parse_version(d.pop("version"))

        def _parse_candidate(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        candidate = _parse_candidate(d.pop("candidate"))

        policy_version = d.pop("policy_version")

        precedence = cast(list[str], d.pop("precedence"))

        policies = []
        _policies = d.pop("policies")
        for policies_item_data in _policies:
            policies_item = PolicyOut.from_dict(policies_item_data)

            policies.append(policies_item)

        policy_list = cls(
            community=community,
            version=version,
            candidate=candidate,
            policy_version=policy_version,
            precedence=precedence,
            policies=policies,
        )

        policy_list.additional_properties = d
        return policy_list

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
