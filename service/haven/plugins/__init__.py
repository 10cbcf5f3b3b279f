"""The plugin protocol: how platform adapters plug into Haven."""

from haven.plugins.protocol import (
    ActionResult,
    KeyValue,
    PeriodicTask,
    Plugin,
    PluginFactory,
    PluginHost,
    PluginUnavailable,
)
from haven.plugins.registry import ENTRY_POINT_GROUP, Plugins, load_plugins

__all__ = [
    "ENTRY_POINT_GROUP",
    "ActionResult",
    "KeyValue",
    "PeriodicTask",
    "Plugin",
    "PluginFactory",
    "PluginHost",
    "PluginUnavailable",
    "Plugins",
    "load_plugins",
]
