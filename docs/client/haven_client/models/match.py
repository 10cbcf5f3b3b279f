from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.match_mode import MatchMode
from ..models.match_severity import MatchSeverity
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.conversation_evidence import ConversationEvidence
    from ..models.evidence import Evidence
    from ..models.model_score import ModelScore


T = TypeVar("T", bound="Match")


@_attrs_define
class Match:
    """
    Attributes:
        policy (str): The policy the rule belongs to.
        rule (str): The rule that matched.
        category (str): What kind of harm, dotted from general to specific.
        severity (MatchSeverity): How serious the rule says a match is.
        mode (MatchMode): enforce counts toward the verdict; shadow is only recorded.
        verdict (str): The verdict this rule asks for.
        evidence (list[Evidence]): The spans of text that made it match.
        description (str | Unset): The rule's own description. Default: ''.
        conversation (list[ConversationEvidence] | Unset): For a rule that reads the thread: the earlier decisions that
            made it match.
        scores (list[ModelScore] | Unset): For a rule that reads a learned model: the model's scores.
        layer (str | Unset): The policy layer that defined the rule: "base", "community:<c>" or "channel:<c>/<channel>".
            Default: 'base'.
    """

    policy: str
    rule: str
    category: str
    severity: MatchSeverity
    mode: MatchMode
    verdict: str
    evidence: list[Evidence]
    description: str | Unset = ""
    conversation: list[ConversationEvidence] | Unset = UNSET
    scores: list[ModelScore] | Unset = UNSET
    layer: str | Unset = "base"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        policy = self.policy

        rule = self.rule

        category = self.category

        severity = self.severity.value

        mode = self.mode.value

        verdict = self.verdict

        evidence = []
        for evidence_item_data in self.evidence:
            evidence_item = evidence_item_data.to_dict()
            evidence.append(evidence_item)

        description = self.description

        conversation: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.conversation, Unset):
            conversation = []
            for conversation_item_data in self.conversation:
                conversation_item = conversation_item_data.to_dict()
                conversation.append(conversation_item)

        scores: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.scores, Unset):
            scores = []
            for scores_item_data in self.scores:
                scores_item = scores_item_data.to_dict()
                scores.append(scores_item)

        layer = self.layer

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "policy": policy,
                "rule": rule,
                "category": category,
                "severity": severity,
                "mode": mode,
                "verdict": verdict,
                "evidence": evidence,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if conversation is not UNSET:
            field_dict["conversation"] = conversation
        if scores is not UNSET:
            field_dict["scores"] = scores
        if layer is not UNSET:
            field_dict["layer"] = layer

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.conversation_evidence import ConversationEvidence
        from ..models.evidence import Evidence
        from ..models.model_score import ModelScore

        d = dict(src_dict)
        policy = d.pop("policy")

        rule = d.pop("rule")

        category = d.pop("category")

        severity = MatchSeverity(d.pop("severity"))

        mode = MatchMode(d.pop("mode"))

        verdict = d.pop("verdict")

        evidence = []
        _evidence = d.pop("evidence")
        for evidence_item_data in _evidence:
            evidence_item = Evidence.from_dict(evidence_item_data)

            evidence.append(evidence_item)

        description = d.pop("description", UNSET)

        _conversation = d.pop("conversation", UNSET)
        conversation: list[ConversationEvidence] | Unset = UNSET
        if _conversation is not UNSET:
            conversation = []
            for conversation_item_data in _conversation:
                conversation_item = ConversationEvidence.from_dict(
                    conversation_item_data
                )

                conversation.append(conversation_item)

        _scores = d.pop("scores", UNSET)
        scores: list[ModelScore] | Unset = UNSET
        if _scores is not UNSET:
            scores = []
            for scores_item_data in _scores:
                scores_item = ModelScore.from_dict(scores_item_data)

                scores.append(scores_item)

        layer = d.pop("layer", UNSET)

        match = cls(
            policy=policy,
            rule=rule,
            category=category,
            severity=severity,
            mode=mode,
            verdict=verdict,
            evidence=evidence,
            description=description,
            conversation=conversation,
            scores=scores,
            layer=layer,
        )

        match.additional_properties = d
        return match

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
