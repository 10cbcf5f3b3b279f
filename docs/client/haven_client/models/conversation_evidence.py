from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConversationEvidence")


@_attrs_define
class ConversationEvidence:
    """
    Attributes:
        dynamic (str): The conversation matcher: pile_on, thread, replies_to or author_replies.
        thread_id (None | str): The thread it read.
        decisions (list[str]): The earlier decisions of the thread that counted, oldest first.
        member (None | str | Unset): The member replied to (a pile-on's target, the author in crisis).
        authors (int | Unset): How many different authors counted. Default: 0.
        posts (int | Unset): How many posts counted. Default: 0.
        matcher (str | Unset): Which matcher of the rule it was. Default: ''.
    """

    dynamic: str
    thread_id: None | str
    decisions: list[str]
    member: None | str | Unset = UNSET
    authors: int | Unset = 0
    posts: int | Unset = 0
    matcher: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dynamic = self.dynamic

        thread_id: None | str
        thread_id = self.thread_id

        decisions = self.decisions

        member: None | str | Unset
        if isinstance(self.member, Unset):
            member = UNSET
        else:
            member = self.member

        authors = self.authors

        posts = self.posts

        matcher = self.matcher

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dynamic": dynamic,
                "thread_id": thread_id,
                "decisions": decisions,
            }
        )
        if member is not UNSET:
            field_dict["member"] = member
        if authors is not UNSET:
            field_dict["authors"] = authors
        if posts is not UNSET:
            field_dict["posts"] = posts
        if matcher is not UNSET:
            field_dict["matcher"] = matcher

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dynamic = d.pop("dynamic")

        def _parse_thread_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        thread_id = _parse_thread_id(d.pop("thread_id"))

        decisions = cast(list[str], d.pop("decisions"))

        def _parse_member(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        member = _parse_member(d.pop("member", UNSET))

        authors = d.pop("authors", UNSET)

        posts = d.pop("posts", UNSET)

        matcher = d.pop("matcher", UNSET)

        conversation_evidence = cls(
            dynamic=dynamic,
            thread_id=thread_id,
            decisions=decisions,
            member=member,
            authors=authors,
            posts=posts,
            matcher=matcher,
        )

        conversation_evidence.additional_properties = d
        return conversation_evidence

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
