from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.comparison_by_category import ComparisonByCategory
    from ..models.comparison_by_verdict import ComparisonByVerdict
    from ..models.rule_change import RuleChange


T = TypeVar("T", bound="Comparison")


@_attrs_define
class Comparison:
    """
    Attributes:
        version (int): The candidate version compared with the active one.
        posts (int): Posts judged by both versions.
        changed (int): Posts with a different verdict or different rules firing.
        by_verdict (ComparisonByVerdict): Changed posts by "active verdict -> candidate verdict".
        by_category (ComparisonByCategory): Changed posts by the category of each rule that changed them.
        rules (list[RuleChange]): Each rule whose firing differs, with its posts.
    """

    version: int
    posts: int
    changed: int
    by_verdict: ComparisonByVerdict
    by_category: ComparisonByCategory
    rules: list[RuleChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        posts = self.posts

        changed = self.changed

        by_verdict = self.by_verdict.to_dict()

        by_category = self.by_category.to_dict()

        rules = []
        for rules_item_data in self.rules:
            rules_item = rules_item_data.to_dict()
            rules.append(rules_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "version": version,
                "posts": posts,
                "changed": changed,
                "by_verdict": by_verdict,
                "by_category": by_category,
                "rules": rules,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.comparison_by_category import ComparisonByCategory
        from ..models.comparison_by_verdict import ComparisonByVerdict
        from ..models.rule_change import RuleChange

        d = dict(src_dict)
        version = d.pop("version")

        posts = d.pop("posts")

        changed = d.pop("changed")

        by_verdict = ComparisonByVerdict.from_dict(d.pop("by_verdict"))

        by_category = ComparisonByCategory.from_dict(d.pop("by_category"))

        rules = []
        _rules = d.pop("rules")
        for rules_item_data in _rules:
            rules_item = RuleChange.from_dict(rules_item_data)

            rules.append(rules_item)

        comparison = cls(
            version=version,
            posts=posts,
            changed=changed,
            by_verdict=by_verdict,
            by_category=by_category,
            rules=rules,
        )

        comparison.additional_properties = d
        return comparison

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
