from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.accepted_queue import AcceptedQueue
from ..models.accepted_status import AcceptedStatus

T = TypeVar("T", bound="Accepted")


@_attrs_define
class Accepted:
    """
    Attributes:
        id (str): The decision's id; the same post always gets the same id.
        url (str): Where to read the decision.
        status (AcceptedStatus): queued: taken in now; duplicate: this post was taken in before.
        queue (AcceptedQueue): crisis for posts that may need an urgent answer (judged first), default otherwise.
    """

    id: str
    url: str
    status: AcceptedStatus
    queue: AcceptedQueue
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        status = self.status.value

        queue = self.queue.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "status": status,
                "queue": queue,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        status = AcceptedStatus(d.pop("status"))

        queue = AcceptedQueue(d.pop("queue"))

        accepted = cls(
            id=id,
            url=url,
            status=status,
            queue=queue,
        )

        accepted.additional_properties = d
        return accepted

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
