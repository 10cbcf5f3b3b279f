from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.decision_mode import DecisionMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.action import Action
    from ..models.match import Match
    from ..models.post_ref import PostRef
    from ..models.timings import Timings


T = TypeVar("T", bound="Decision")


@_attrs_define
class Decision:
    """
    Attributes:
        id (str): The decision's id, derived from the post's identity: the same post always has the same id.
        post (PostRef): The post judged.
        policy_version (str): The policy set the post was judged by.
        verdict (str): The strongest enforced verdict: allow, nudge, review, hold, remove or escalate.
        mode (DecisionMode): enforce when the verdict is acted on.
        matches (list[Match]): Enforced rules that matched.
        shadow_matches (list[Match] | Unset): Rules in shadow mode that matched: recorded, not acted on.
        quoted_matches (list[Match] | Unset): Matches inside quoted text: reported, never judged as the author's.
        actions (list[Action] | Unset): What the platform adapter is asked to do.
        timings (Timings | Unset): How long each step took.
    """

    id: str
    post: PostRef
    policy_version: str
    verdict: str
    mode: DecisionMode
    matches: list[Match]
    shadow_matches: list[Match] | Unset = UNSET
    quoted_matches: list[Match] | Unset = UNSET
    actions: list[Action] | Unset = UNSET
    timings: Timings | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        post = self.post.to_dict()

        policy_version = self.policy_version

        verdict = self.verdict

        mode = self.mode.value

        matches = []
        for matches_item_data in self.matches:
            matches_item = matches_item_data.to_dict()
            matches.append(matches_item)

        shadow_matches: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.shadow_matches, Unset):
            shadow_matches = []
            for shadow_matches_item_data in self.shadow_matches:
                shadow_matches_item = shadow_matches_item_data.to_dict()
                shadow_matches.append(shadow_matches_item)

        quoted_matches: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.quoted_matches, Unset):
            quoted_matches = []
            for quoted_matches_item_data in self.quoted_matches:
                quoted_matches_item = quoted_matches_item_data.to_dict()
                quoted_matches.append(quoted_matches_item)

        actions: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.actions, Unset):
            actions = []
            for actions_item_data in self.actions:
                actions_item = actions_item_data.to_dict()
                actions.append(actions_item)

        timings: dict[str, Any] | Unset = UNSET
        if not isinstance(self.timings, Unset):
            timings = self.timings.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "post": post,
                "policy_version": policy_version,
                "verdict": verdict,
                "mode": mode,
                "matches": matches,
            }
        )
        if shadow_matches is not UNSET:
            field_dict["shadow_matches"] = shadow_matches
        if quoted_matches is not UNSET:
            field_dict["quoted_matches"] = quoted_matches
        if actions is not UNSET:
            field_dict["actions"] = actions
        if timings is not UNSET:
            field_dict["timings"] = timings

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action import Action
        from ..models.match import Match
        from ..models.post_ref import PostRef
        from ..models.timings import Timings

        d = dict(src_dict)
        id = d.pop("id")

        post = PostRef.from_dict(d.pop("post"))

        policy_version = d.pop("policy_version")

        verdict = d.pop("verdict")

        mode = DecisionMode(d.pop("mode"))

        matches = []
        _matches = d.pop("matches")
        for matches_item_data in _matches:
            matches_item = Match.from_dict(matches_item_data)

            matches.append(matches_item)

        _shadow_matches = d.pop("shadow_matches", UNSET)
        shadow_matches: list[Match] | Unset = UNSET
        if _shadow_matches is not UNSET:
            shadow_matches = []
            for shadow_matches_item_data in _shadow_matches:
                shadow_matches_item = Match.from_dict(shadow_matches_item_data)

                shadow_matches.append(shadow_matches_item)

        _quoted_matches = d.pop("quoted_matches", UNSET)
        quoted_matches: list[Match] | Unset = UNSET
        if _quoted_matches is not UNSET:
            quoted_matches = []
            for quoted_matches_item_data in _quoted_matches:
                quoted_matches_item = Match.from_dict(quoted_matches_item_data)

                quoted_matches.append(quoted_matches_item)

        _actions = d.pop("actions", UNSET)
        actions: list[Action] | Unset = UNSET
        if _actions is not UNSET:
            actions = []
            for actions_item_data in _actions:
                actions_item = Action.from_dict(actions_item_data)

                actions.append(actions_item)

        _timings = d.pop("timings", UNSET)
        timings: Timings | Unset
        if isinstance(_timings, Unset):
            timings = UNSET
        else:
            timings = Timings.from_dict(_timings)

        decision = cls(
            id=id,
            post=post,
            policy_version=policy_version,
            verdict=verdict,
            mode=mode,
            matches=matches,
            shadow_matches=shadow_matches,
            quoted_matches=quoted_matches,
            actions=actions,
            timings=timings,
        )

        decision.additional_properties = d
        return decision

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
