from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QueueState")


@_attrs_define
class QueueState:
    """
    Attributes:
        crisis (bool): It is in the queue as a crisis.
        reviewed_at (datetime.datetime | None): When a review took it off the queue.
        claimed_by (None | str): Who holds or last held a claim on it.
        claimed_until (datetime.datetime | None): When that claim ends or ended.
    """

    crisis: bool
    reviewed_at: datetime.datetime | None
    claimed_by: None | str
    claimed_until: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        crisis = self.crisis

        reviewed_at: None | str
        if isinstance(self.reviewed_at, datetime.datetime):
            reviewed_at = self.reviewed_at.isoformat()
        else:
            reviewed_at = self.reviewed_at

        claimed_by: None | str
        claimed_by = self.claimed_by

        claimed_until: None | str
        if isinstance(self.claimed_until, datetime.datetime):
            claimed_until = self.claimed_until.isoformat()
        else:
            claimed_until = self.claimed_until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "crisis": crisis,
                "reviewed_at": reviewed_at,
                "claimed_by": claimed_by,
                "claimed_until": claimed_until,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        crisis = d.pop("crisis")

        def _parse_reviewed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reviewed_at_type_0 = datetime.datetime.fromisoformat(data)

                return reviewed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        reviewed_at = _parse_reviewed_at(d.pop("reviewed_at"))

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

        queue_state = cls(
            crisis=crisis,
            reviewed_at=reviewed_at,
            claimed_by=claimed_by,
            claimed_until=claimed_until,
        )

        queue_state.additional_properties = d
        return queue_state

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
