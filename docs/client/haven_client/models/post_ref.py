from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.post_ref_kind import PostRefKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="PostRef")


@_attrs_define
class PostRef:
    """The post judged.

    Attributes:
        platform (str): Where the post was written.
        community (str): The community it belongs to.
        external_id (str): The post's id on its platform.
        revision (str): Which edit of the post was judged.
        kind (PostRefKind): A post, comment or message.
        author_id (str): The author's id on the platform.
        thread_id (None | str | Unset): The thread it belongs to.
        url (None | str | Unset): Where a moderator can read it.
    """

    platform: str
    community: str
    external_id: str
    revision: str
    kind: PostRefKind
    author_id: str
    thread_id: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        platform = self.platform

        community = self.community

        external_id = self.external_id

        revision = self.revision

        kind = self.kind.value

        author_id = self.author_id

        thread_id: None | str | Unset
        if isinstance(self.thread_id, Unset):
            thread_id = UNSET
        else:
            thread_id = self.thread_id

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "platform": platform,
                "community": community,
                "external_id": external_id,
                "revision": revision,
                "kind": kind,
                "author_id": author_id,
            }
        )
        if thread_id is not UNSET:
            field_dict["thread_id"] = thread_id
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        platform = d.pop("platform")

        community = d.pop("community")

        external_id = d.pop("external_id")

        revision = d.pop("revision")

        kind = PostRefKind(d.pop("kind"))

        author_id = d.pop("author_id")

        def _parse_thread_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        thread_id = _parse_thread_id(d.pop("thread_id", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        post_ref = cls(
            platform=platform,
            community=community,
            external_id=external_id,
            revision=revision,
            kind=kind,
            author_id=author_id,
            thread_id=thread_id,
            url=url,
        )

        post_ref.additional_properties = d
        return post_ref

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
