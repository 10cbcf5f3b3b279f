from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Escalation")


@_attrs_define
class Escalation:
    """
    Attributes:
        decision_id (str): The escalated decision.
        community (str): Its community.
        opened_at (datetime.datetime): When the escalation was decided.
        acknowledged_at (datetime.datetime | None): When a moderator first acknowledged it.
        acknowledged_by (None | str): Who acknowledged it first.
        reminders_sent (int): Reminders sent while nobody acknowledged it.
        next_due_at (datetime.datetime | None): When the next reminder goes out, if still unacknowledged.
        unacknowledged_at (datetime.datetime | None): When it was declared unacknowledged after the last reminder.
        reminded_at (list[datetime.datetime] | Unset): When each reminder went out, oldest first.
    """

    decision_id: str
    community: str
    opened_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    acknowledged_by: None | str
    reminders_sent: int
    next_due_at: datetime.datetime | None
    unacknowledged_at: datetime.datetime | None
    reminded_at: list[datetime.datetime] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decision_id = self.decision_id

        community = self.community

        opened_at = self.opened_at.isoformat()

        acknowledged_at: None | str
        if isinstance(self.acknowledged_at, datetime.datetime):
            acknowledged_at = self.acknowledged_at.isoformat()
        else:
            acknowledged_at = self.acknowledged_at

        acknowledged_by: None | str
        acknowledged_by = self.acknowledged_by

        reminders_sent = self.reminders_sent

        next_due_at: None | str
        if isinstance(self.next_due_at, datetime.datetime):
            next_due_at = self.next_due_at.isoformat()
        else:
            next_due_at = self.next_due_at

        unacknowledged_at: None | str
        if isinstance(self.unacknowledged_at, datetime.datetime):
            unacknowledged_at = self.unacknowledged_at.isoformat()
        else:
            unacknowledged_at = self.unacknowledged_at

        reminded_at: list[str] | Unset = UNSET
        if not isinstance(self.reminded_at, Unset):
            reminded_at = []
            for reminded_at_item_data in self.reminded_at:
                reminded_at_item = reminded_at_item_data.isoformat()
                reminded_at.append(reminded_at_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decision_id": decision_id,
                "community": community,
                "opened_at": opened_at,
                "acknowledged_at": acknowledged_at,
                "acknowledged_by": acknowledged_by,
                "reminders_sent": reminders_sent,
                "next_due_at": next_due_at,
                "unacknowledged_at": unacknowledged_at,
            }
        )
        if reminded_at is not UNSET:
            field_dict["reminded_at"] = reminded_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        decision_id = d.pop("decision_id")

        community = d.pop("community")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        def _parse_acknowledged_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                acknowledged_at_type_0 = datetime.datetime.fromisoformat(data)

                return acknowledged_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        acknowledged_at = _parse_acknowledged_at(d.pop("acknowledged_at"))

        def _parse_acknowledged_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        acknowledged_by = _parse_acknowledged_by(d.pop("acknowledged_by"))

        reminders_sent = d.pop("reminders_sent")

        def _parse_next_due_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_due_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_due_at = _parse_next_due_at(d.pop("next_due_at"))

        def _parse_unacknowledged_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                unacknowledged_at_type_0 = datetime.datetime.fromisoformat(data)

                return unacknowledged_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        unacknowledged_at = _parse_unacknowledged_at(d.pop("unacknowledged_at"))

        _reminded_at = d.pop("reminded_at", UNSET)
        reminded_at: list[datetime.datetime] | Unset = UNSET
        if _reminded_at is not UNSET:
            reminded_at = []
            for reminded_at_item_data in _reminded_at:
                reminded_at_item = datetime.datetime.fromisoformat(
                    reminded_at_item_data
                )

                reminded_at.append(reminded_at_item)

        escalation = cls(
            decision_id=decision_id,
            community=community,
            opened_at=opened_at,
            acknowledged_at=acknowledged_at,
            acknowledged_by=acknowledged_by,
            reminders_sent=reminders_sent,
            next_due_at=next_due_at,
            unacknowledged_at=unacknowledged_at,
            reminded_at=reminded_at,
        )

        escalation.additional_properties = d
        return escalation

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
