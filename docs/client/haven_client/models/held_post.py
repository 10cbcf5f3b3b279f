from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.held_post_status import HeldPostStatus

T = TypeVar("T", bound="HeldPost")


@_attrs_define
class HeldPost:
    """
    Attributes:
        id (str): The decision's id.
        community (str): Its community.
        platform (str): Where the post was written.
        external_id (str): The post's id on its platform.
        revision (str): Which edit of the post.
        queue (str): The queue it waits in: crisis or default.
        received_at (datetime.datetime): When the API accepted it.
        status (HeldPostStatus): pending (waiting to be decided) or parked (every attempt failed).
        attempts (int): Attempts at deciding it so far.
        reason (None | str): Why the last attempt failed: an error's type, never the post's text.
        due_at (datetime.datetime | None): When the sweeper queues it again if it is still pending.
    """

    id: str
    community: str
    platform: str
    external_id: str
    revision: str
    queue: str
    received_at: datetime.datetime
    status: HeldPostStatus
    attempts: int
    reason: None | str
    due_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        community = self.community

        platform = self.platform

        external_id = self.external_id

        revision = self.revision

        queue = self.queue

        received_at = self.received_at.isoformat()

        status = self.status.value

        attempts = self.attempts

        reason: None | str
        reason = self.reason

        due_at: None | str
        if isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "community": community,
                "platform": platform,
                "external_id": external_id,
                "revision": revision,
                "queue": queue,
                "received_at": received_at,
                "status": status,
                "attempts": attempts,
                "reason": reason,
                "due_at": due_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        community = d.pop("community")

        platform = d.pop("platform")

        external_id = d.pop("external_id")

        revision = d.pop("revision")

        queue = d.pop("queue")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        status = HeldPostStatus(d.pop("status"))

        attempts = d.pop("attempts")

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_due_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_at_type_0 = datetime.datetime.fromisoformat(data)

                return due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        due_at = _parse_due_at(d.pop("due_at"))

        held_post = cls(
            id=id,
            community=community,
            platform=platform,
            external_id=external_id,
            revision=revision,
            queue=queue,
            received_at=received_at,
            status=status,
            attempts=attempts,
            reason=reason,
            due_at=due_at,
        )

        held_post.additional_properties = d
        return held_post

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
