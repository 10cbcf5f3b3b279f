"""A skeleton Haven plugin to copy, for a made-up platform that pushes events to a webhook,
streams them over a long-lived connection, and hides posts through its API.

Entry point `example = "haven_example:create"`; settings in HAVEN_EXAMPLE_* (README.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from haven.plugins.protocol import PluginHost

from haven_example.plugin import ExamplePlugin
from haven_example.settings import ExampleSettings


def create(env: Mapping[str, str], host: PluginHost) -> ExamplePlugin:
    """The plugin factory Haven calls at start; raises PluginUnavailable naming a missing setting,
    which leaves the plugin off (and says why in `haven plugins` and on /readyz)."""
    return ExamplePlugin(ExampleSettings.from_env(env), host)


__all__ = ["ExamplePlugin", "ExampleSettings", "create"]
