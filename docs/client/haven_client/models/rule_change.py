from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.rule_change_by_verdict import RuleChangeByVerdict


T = TypeVar("T", bound="RuleChange")


@_attrs_define
class RuleChange:
    """
    Attributes:
        rule (str): The rule, as policy/rule.
        category (str): The rule's category.
        layer (str): The layer that defines the rule in the candidate: base, community:<c> or channel:<c>/<channel>.
        effect (str): "fires": fires under the candidate only; "stops": under the active version only; "changes": fires
            under both with another verdict or mode.
        posts (int): How many posts it changed.
        by_verdict (RuleChangeByVerdict): Posts by "active verdict -> candidate verdict".
        decision_ids (list[str]): Decisions to inspect (a sample).
    """

    rule: str
    category: str
    layer: str
    effect: str
    posts: int
    by_verdict: RuleChangeByVerdict
    decision_ids: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule

        category = self.category

        layer = self.layer

        effect = self.effect

        posts = self.posts

        by_verdict = self.by_verdict.to_dict()

        decision_ids = self.decision_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rule": rule,
                "category": category,
                "layer": layer,
                "effect": effect,
                "posts": posts,
                "by_verdict": by_verdict,
                "decision_ids": decision_ids,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.rule_change_by_verdict import RuleChangeByVerdict

        d = dict(src_dict)
        rule = d.pop("rule")

        category = d.pop("category")

        layer = d.pop("layer")

        effect = d.pop("effect")

        posts = d.pop("posts")

        by_verdict = RuleChangeByVerdict.from_dict(d.pop("by_verdict"))

        decision_ids = cast(list[str], d.pop("decision_ids"))

        rule_change = cls(
            rule=rule,
            category=category,
            layer=layer,
            effect=effect,
            posts=posts,
            by_verdict=by_verdict,
            decision_ids=decision_ids,
        )

        rule_change.additional_properties = d
        return rule_change

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
