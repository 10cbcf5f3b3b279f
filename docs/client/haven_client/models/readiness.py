from __future__ import annotations

from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.readiness_mode import ReadinessMode

if TYPE_CHECKING:
    from ..models.readiness_consumers import ReadinessConsumers
    from ..models.readiness_plugins_off import ReadinessPluginsOff


T = TypeVar("T", bound="Readiness")


@_attrs_define
class Readiness:
    """
    Attributes:
        status (Literal['ready']): Always ready (otherwise the answer is a 503).
        mode (ReadinessMode): embedded (one process, SQLite) or full (Redis, workers, PostgreSQL).
        policy_version (str): The policy set in force.
        plugins_on (list[str]): Plugins running.
        plugins_off (ReadinessPluginsOff): Installed plugins that are off, and why (e.g. a missing setting).
        consumers (ReadinessConsumers): Each long-running consumer of the plugins that are on (`plugin/name`), as the
            process running it reports. Informational: a consumer down does not make the API unready.
    """

    status: Literal["ready"]
    mode: ReadinessMode
    policy_version: str
    plugins_on: list[str]
    plugins_off: ReadinessPluginsOff
    consumers: ReadinessConsumers
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        mode = self.mode.value

        policy_version = self.policy_version

        plugins_on = self.plugins_on

        plugins_off = self.plugins_off.to_dict()

        consumers = self.consumers.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "mode": mode,
                "policy_version": policy_version,
                "plugins_on": plugins_on,
                "plugins_off": plugins_off,
                "consumers": consumers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.readiness_consumers import ReadinessConsumers
        from ..models.readiness_plugins_off import ReadinessPluginsOff

        d = dict(src_dict)
        status = cast(Literal["ready"], d.pop("status"))
        if status != "ready":
            raise ValueError(f"status must match const 'ready', got '{status}'")

        mode = ReadinessMode(d.pop("mode"))

        policy_version = d.pop("policy_version")

        plugins_on = cast(list[str], d.pop("plugins_on"))

        plugins_off = ReadinessPluginsOff.from_dict(d.pop("plugins_off"))

        consumers = ReadinessConsumers.from_dict(d.pop("consumers"))

        readiness = cls(
            status=status,
            mode=mode,
            policy_version=policy_version,
            plugins_on=plugins_on,
            plugins_off=plugins_off,
            consumers=consumers,
        )

        readiness.additional_properties = d
        return readiness

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
