from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evidence import Evidence
    from ..models.queue_entry_links import QueueEntryLinks


T = TypeVar("T", bound="QueueEntry")


@_attrs_define
class QueueEntry:
    """
    Attributes:
        decision_id (str): The decision waiting for a person.
        crisis (bool): It escalated: a person may be at risk.
        severity (str): The highest severity among its matches.
        verdict (str): The decision's verdict.
        categories (list[str]): The categories it matched.
        rules (list[str]): The rules it matched, as policy/rule.
        received_at (datetime.datetime): When the API accepted the post.
        post_url (None | str): Where a moderator can read the post.
        claimed_by (None | str): The moderator whose claim is running, if any.
        claimed_until (datetime.datetime | None): When that claim ends.
        acknowledged_by (None | str | Unset): Who acknowledged the escalation (null when it did not escalate).
        acknowledged (bool | None | Unset): Whether the escalation is acknowledged (null when it did not escalate).
        evidence (list[Evidence] | None | Unset): The words that made the rules match; null while
            HAVEN_QUEUE_BLUR_EVIDENCE is on (claim the item to see them).
        links (QueueEntryLinks | Unset): Where to review, acknowledge or claim it.
    """

    decision_id: str
    crisis: bool
    severity: str
    verdict: str
    categories: list[str]
    rules: list[str]
    received_at: datetime.datetime
    post_url: None | str
    claimed_by: None | str
    claimed_until: datetime.datetime | None
    acknowledged_by: None | str | Unset = UNSET
    acknowledged: bool | None | Unset = UNSET
    evidence: list[Evidence] | None | Unset = UNSET
    links: QueueEntryLinks | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decision_id = self.decision_id

        crisis = self.crisis

        severity = self.severity

        verdict = self.verdict

        categories = self.categories

        rules = self.rules

        received_at = self.received_at.isoformat()

        post_url: None | str
        post_url = self.post_url

        claimed_by: None | str
        claimed_by = self.claimed_by

        claimed_until: None | str
        if isinstance(self.claimed_until, datetime.datetime):
            claimed_until = self.claimed_until.isoformat()
        else:
            claimed_until = self.claimed_until

        acknowledged_by: None | str | Unset
        if isinstance(self.acknowledged_by, Unset):
            acknowledged_by = UNSET
        else:
            acknowledged_by = self.acknowledged_by

        acknowledged: bool | None | Unset
        if isinstance(self.acknowledged, Unset):
            acknowledged = UNSET
        else:
            acknowledged = self.acknowledged

        evidence: list[dict[str, Any]] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, list):
            evidence = []
            for evidence_type_0_item_data in self.evidence:
                evidence_type_0_item = evidence_type_0_item_data.to_dict()
                evidence.append(evidence_type_0_item)

        else:
            evidence = self.evidence

        links: dict[str, Any] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = self.links.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decision_id": decision_id,
                "crisis": crisis,
                "severity": severity,
                "verdict": verdict,
                "categories": categories,
                "rules": rules,
                "received_at": received_at,
                "post_url": post_url,
                "claimed_by": claimed_by,
                "claimed_until": claimed_until,
            }
        )
        if acknowledged_by is not UNSET:
            field_dict["acknowledged_by"] = acknowledged_by
        if acknowledged is not UNSET:
            field_dict["acknowledged"] = acknowledged
        if evidence is not UNSET:
            field_dict["evidence"] = evidence
        if links is not UNSET:
            field_dict["links"] = links

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.evidence import Evidence
        from ..models.queue_entry_links import QueueEntryLinks

        d = dict(src_dict)
        decision_id = d.pop("decision_id")

        crisis = d.pop("crisis")

        severity = d.pop("severity")

        verdict = d.pop("verdict")

        categories = cast(list[str], d.pop("categories"))

        rules = cast(list[str], d.pop("rules"))

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        def _parse_post_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        post_url = _parse_post_url(d.pop("post_url"))

        def _parse_claimed_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        claimed_by = _parse_claimed_by(d.pop("claimed_by"))

        def _parse_claimed_until(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                claimed_until_type_0 = datetime.datetime.fromisoformat(data)

                return claimed_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        claimed_until = _parse_claimed_until(d.pop("claimed_until"))

        def _parse_acknowledged_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        acknowledged_by = _parse_acknowledged_by(d.pop("acknowledged_by", UNSET))

        def _parse_acknowledged(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        acknowledged = _parse_acknowledged(d.pop("acknowledged", UNSET))

        def _parse_evidence(data: object) -> list[Evidence] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                evidence_type_0 = []
                _evidence_type_0 = data
                for evidence_type_0_item_data in _evidence_type_0:
                    evidence_type_0_item = Evidence.from_dict(evidence_type_0_item_data)

                    evidence_type_0.append(evidence_type_0_item)

                return evidence_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Evidence] | None | Unset, data)

        evidence = _parse_evidence(d.pop("evidence", UNSET))

        _links = d.pop("links", UNSET)
        links: QueueEntryLinks | Unset
        if isinstance(_links, Unset):
            links = UNSET
        else:
            links = QueueEntryLinks.from_dict(_links)

        queue_entry = cls(
            decision_id=decision_id,
            crisis=crisis,
            severity=severity,
            verdict=verdict,
            categories=categories,
            rules=rules,
            received_at=received_at,
            post_url=post_url,
            claimed_by=claimed_by,
            claimed_until=claimed_until,
            acknowledged_by=acknowledged_by,
            acknowledged=acknowledged,
            evidence=evidence,
            links=links,
        )

        queue_entry.additional_properties = d
        return queue_entry

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
