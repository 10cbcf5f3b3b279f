from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.consumer_health_state import ConsumerHealthState
from ..types import UNSET, Unset

T = TypeVar("T", bound="ConsumerHealth")


@_attrs_define
class ConsumerHealth:
    """
    Attributes:
        state (ConsumerHealthState): running; restarting (it ended or failed, and waits out its back-off); stopped (its
            process stopped it); not running (no process runs it: start `haven worker` or `haven plugins NAME run`).
        since (datetime.datetime | None | Unset): When it entered this state.
        restarts (int | Unset): How often it was started again since its process began. Default: 0.
        last_error (None | str | Unset): The type of the error it last failed with.
        process (None | str | Unset): The host and process id running it.
    """

    state: ConsumerHealthState
    since: datetime.datetime | None | Unset = UNSET
    restarts: int | Unset = 0
    last_error: None | str | Unset = UNSET
    process: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        state = self.state.value

        since: None | str | Unset
        if isinstance(self.since, Unset):
            since = UNSET
        elif isinstance(self.since, datetime.datetime):
            since = self.since.isoformat()
        else:
            since = self.since

        restarts = self.restarts

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        process: None | str | Unset
        if isinstance(self.process, Unset):
            process = UNSET
        else:
            process = self.process

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
            }
        )
        if since is not UNSET:
            field_dict["since"] = since
        if restarts is not UNSET:
            field_dict["restarts"] = restarts
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if process is not UNSET:
            field_dict["process"] = process

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        state = ConsumerHealthState(d.pop("state"))

        def _parse_since(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                since_type_0 = datetime.datetime.fromisoformat(data)

                return since_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        since = _parse_since(d.pop("since", UNSET))

        restarts = d.pop("restarts", UNSET)

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_process(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        process = _parse_process(d.pop("process", UNSET))

        consumer_health = cls(
            state=state,
            since=since,
            restarts=restarts,
            last_error=last_error,
            process=process,
        )

        consumer_health.additional_properties = d
        return consumer_health

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
