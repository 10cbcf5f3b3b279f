"""The plugin's settings, from HAVEN_EXAMPLE_* environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from haven.plugins.protocol import PluginUnavailable

PREFIX = "HAVEN_EXAMPLE_"


@dataclass(frozen=True)
class ExampleSettings:
    base_url: str
    """The platform's API, e.g. https://chat.example.org/api."""
    webhook_secret: str
    """The secret the platform signs its webhook deliveries with."""
    community: str
    """The Haven community the platform's posts belong to."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ExampleSettings:
        def required(name: str) -> str:
            value = env.get(PREFIX + name, "").strip()
            if not value:
                # Name the variable, never its value: the message is shown and logged.
                raise PluginUnavailable(f"{PREFIX}{name} is not set")
            return value

        return cls(
            base_url=required("BASE_URL").rstrip("/"),
            webhook_secret=required("WEBHOOK_SECRET"),
            community=required("COMMUNITY"),
        )
