from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.post_kind import PostKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.author import Author
    from ..models.text_range import TextRange


T = TypeVar("T", bound="Post")


@_attrs_define
class Post:
    """
    Attributes:
        platform (str): Where the post was written: an adapter's name, or any name of your own.
        community (str): The community it belongs to; must be the API key's community.
        external_id (str): The post's id on its platform; with community, platform and revision it identifies the post.
        author (Author): Who wrote it.
        revision (str | Unset): Which edit of the post this is; a new revision is judged again. Default: '1'.
        kind (PostKind | Unset): A top-level post, a comment in a thread, or a direct message. Default: PostKind.POST.
        title (str | Unset): The title, for a post that has one. Default: ''.
        body (str | Unset): The text as written (Markdown or plain). Default: ''.
        thread_id (None | str | Unset): The thread or topic it belongs to.
        parent_id (None | str | Unset): The post or comment it answers.
        url (None | str | Unset): Where a moderator can read it.
        created_at (datetime.datetime | None | Unset): When it was written.
        locale (None | str | Unset): The community's language, which picks crisis lines and reply templates.
        quoted (list[TextRange] | Unset): Ranges holding other people's words (quote blocks): matches inside them are
            reported, not judged as the author's.
    """

    platform: str
    community: str
    external_id: str
    author: Author
    revision: str | Unset = "1"
    kind: PostKind | Unset = PostKind.POST
    title: str | Unset = ""
    body: str | Unset = ""
    thread_id: None | str | Unset = UNSET
    parent_id: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    locale: None | str | Unset = UNSET
    quoted: list[TextRange] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        platform = self.platform

        community = self.community

        external_id = self.external_id

        author = self.author.to_dict()

        revision = self.revision

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind.value

        title = self.title

        body = self.body

        thread_id: None | str | Unset
        if isinstance(self.thread_id, Unset):
            thread_id = UNSET
        else:
            thread_id = self.thread_id

        parent_id: None | str | Unset
        if isinstance(self.parent_id, Unset):
            parent_id = UNSET
        else:
            parent_id = self.parent_id

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        locale: None | str | Unset
        if isinstance(self.locale, Unset):
            locale = UNSET
        else:
            locale = self.locale

        quoted: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.quoted, Unset):
            quoted = []
            for quoted_item_data in self.quoted:
                quoted_item = quoted_item_data.to_dict()
                quoted.append(quoted_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "platform": platform,
                "community": community,
                "external_id": external_id,
                "author": author,
            }
        )
        if revision is not UNSET:
            field_dict["revision"] = revision
        if kind is not UNSET:
            field_dict["kind"] = kind
        if title is not UNSET:
            field_dict["title"] = title
        if body is not UNSET:
            field_dict["body"] = body
        if thread_id is not UNSET:
            field_dict["thread_id"] = thread_id
        if parent_id is not UNSET:
            field_dict["parent_id"] = parent_id
        if url is not UNSET:
            field_dict["url"] = url
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if locale is not UNSET:
            field_dict["locale"] = locale
        if quoted is not UNSET:
            field_dict["quoted"] = quoted

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.author import Author
        from ..models.text_range import TextRange

        d = dict(src_dict)
        platform = d.pop("platform")

        community = d.pop("community")

        external_id = d.pop("external_id")

        author = Author.from_dict(d.pop("author"))

        revision = d.pop("revision", UNSET)

        _kind = d.pop("kind", UNSET)
        kind: PostKind | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = PostKind(_kind)

        title = d.pop("title", UNSET)

        body = d.pop("body", UNSET)

        def _parse_thread_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        thread_id = _parse_thread_id(d.pop("thread_id", UNSET))

        def _parse_parent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        parent_id = _parse_parent_id(d.pop("parent_id", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_created_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_at = _parse_created_at(d.pop("created_at", UNSET))

        def _parse_locale(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        locale = _parse_locale(d.pop("locale", UNSET))

        _quoted = d.pop("quoted", UNSET)
        quoted: list[TextRange] | Unset = UNSET
        if _quoted is not UNSET:
            quoted = []
            for quoted_item_data in _quoted:
                quoted_item = TextRange.from_dict(quoted_item_data)

                quoted.append(quoted_item)

        post = cls(
            platform=platform,
            community=community,
            external_id=external_id,
            author=author,
            revision=revision,
            kind=kind,
            title=title,
            body=body,
            thread_id=thread_id,
            parent_id=parent_id,
            url=url,
            created_at=created_at,
            locale=locale,
            quoted=quoted,
        )

        post.additional_properties = d
        return post

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
