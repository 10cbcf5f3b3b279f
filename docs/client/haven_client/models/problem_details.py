from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.field_error import FieldError


T = TypeVar("T", bound="ProblemDetails")


@_attrs_define
class ProblemDetails:
    """
    Attributes:
        type_ (str): A URI naming the kind of problem; stable, so clients may branch on it.
        title (str): The HTTP status phrase.
        status (int): The HTTP status code, repeated.
        detail (str): What went wrong, for a person to read.
        instance (str): The path that was asked for.
        errors (list[FieldError] | None | Unset): Each field or parameter refused (400 validation only).
        pointer (None | str | Unset): JSON pointer (RFC 6901) to the refused value in the body (422).
        required_scope (None | str | Unset): The scope the API key lacks (403).
        max_chars (int | None | Unset): The longest title or body accepted (422 text-too-long).
        failing (list[str] | None | Unset): What does not answer (503 from /readyz).
        claimed_by (None | str | Unset): The moderator who holds the item (409 claimed).
        claimed_until (datetime.datetime | None | Unset): When that moderator's claim ends (409 claimed).
    """

    type_: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None | Unset = UNSET
    pointer: None | str | Unset = UNSET
    required_scope: None | str | Unset = UNSET
    max_chars: int | None | Unset = UNSET
    failing: list[str] | None | Unset = UNSET
    claimed_by: None | str | Unset = UNSET
    claimed_until: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        status = self.status

        detail = self.detail

        instance = self.instance

        errors: list[dict[str, Any]] | None | Unset
        if isinstance(self.errors, Unset):
            errors = UNSET
        elif isinstance(self.errors, list):
            errors = []
            for errors_type_0_item_data in self.errors:
                errors_type_0_item = errors_type_0_item_data.to_dict()
                errors.append(errors_type_0_item)

        else:
            errors = self.errors

        pointer: None | str | Unset
        if isinstance(self.pointer, Unset):
            pointer = UNSET
        else:
            pointer = self.pointer

        required_scope: None | str | Unset
        if isinstance(self.required_scope, Unset):
            required_scope = UNSET
        else:
            required_scope = self.required_scope

        max_chars: int | None | Unset
        if isinstance(self.max_chars, Unset):
            max_chars = UNSET
        else:
            max_chars = self.max_chars

        failing: list[str] | None | Unset
        if isinstance(self.failing, Unset):
            failing = UNSET
        elif isinstance(self.failing, list):
            failing = self.failing

        else:
            failing = self.failing

        claimed_by: None | str | Unset
        if isinstance(self.claimed_by, Unset):
            claimed_by = UNSET
        else:
            claimed_by = self.claimed_by

        claimed_until: None | str | Unset
        if isinstance(self.claimed_until, Unset):
            claimed_until = UNSET
        elif isinstance(self.claimed_until, datetime.datetime):
            claimed_until = self.claimed_until.isoformat()
        else:
            claimed_until = self.claimed_until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "status": status,
                "detail": detail,
                "instance": instance,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors
        if pointer is not UNSET:
            field_dict["pointer"] = pointer
        if required_scope is not UNSET:
            field_dict["required_scope"] = required_scope
        if max_chars is not UNSET:
            field_dict["max_chars"] = max_chars
        if failing is not UNSET:
            field_dict["failing"] = failing
        if claimed_by is not UNSET:
            field_dict["claimed_by"] = claimed_by
        if claimed_until is not UNSET:
            field_dict["claimed_until"] = claimed_until

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.field_error import FieldError

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        status = d.pop("status")

        detail = d.pop("detail")

        instance = d.pop("instance")

        def _parse_errors(data: object) -> list[FieldError] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                errors_type_0 = []
                _errors_type_0 = data
                for errors_type_0_item_data in _errors_type_0:
                    errors_type_0_item = FieldError.from_dict(errors_type_0_item_data)

                    errors_type_0.append(errors_type_0_item)

                return errors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[FieldError] | None | Unset, data)

        errors = _parse_errors(d.pop("errors", UNSET))

        def _parse_pointer(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pointer = _parse_pointer(d.pop("pointer", UNSET))

        def _parse_required_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        required_scope = _parse_required_scope(d.pop("required_scope", UNSET))

        def _parse_max_chars(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_chars = _parse_max_chars(d.pop("max_chars", UNSET))

        def _parse_failing(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                failing_type_0 = cast(list[str], data)

                return failing_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        failing = _parse_failing(d.pop("failing", UNSET))

        def _parse_claimed_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        claimed_by = _parse_claimed_by(d.pop("claimed_by", UNSET))

        def _parse_claimed_until(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                claimed_until_type_0 = datetime.datetime.fromisoformat(data)

                return claimed_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        claimed_until = _parse_claimed_until(d.pop("claimed_until", UNSET))

        problem_details = cls(
            type_=type_,
            title=title,
            status=status,
            detail=detail,
            instance=instance,
            errors=errors,
            pointer=pointer,
            required_scope=required_scope,
            max_chars=max_chars,
            failing=failing,
            claimed_by=claimed_by,
            claimed_until=claimed_until,
        )

        problem_details.additional_properties = d
        return problem_details

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
