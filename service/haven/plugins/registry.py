"""Finds the installed plugins through their entry points and starts the configured ones."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from haven.plugins.protocol import Plugin, PluginHost, PluginUnavailable

ENTRY_POINT_GROUP = "haven.plugins"
log = logging.getLogger("haven.plugins")


@dataclass
class Plugins:
    active: dict[str, Plugin] = field(default_factory=dict)
    # name -> why it is off (missing credentials, import failure); shown at start and on /readyz.
    off: dict[str, str] = field(default_factory=dict)

    def for_platform(self, platform: str) -> Plugin | None:
        return self.active.get(platform)

    def close(self) -> None:
        for plugin in self.active.values():
            plugin.close()


def load_plugins(env: Mapping[str, str], host: PluginHost) -> Plugins:
    plugins = Plugins()
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            factory = entry.load()
            plugin = factory(env, host)
        except PluginUnavailable as exc:
            plugins.off[entry.name] = str(exc)
            log.warning("plugin.off", extra={"plugin": entry.name, "reason": str(exc)})
            continue
        except Exception as exc:  # a broken third-party adapter must not stop Haven
            plugins.off[entry.name] = f"failed to start: {type(exc).__name__}"
            log.exception("plugin.failed", extra={"plugin": entry.name})
            continue
        if not isinstance(plugin, Plugin) or plugin.name != entry.name:
            plugins.off[entry.name] = "does not implement the plugin protocol"
            continue
        plugins.active[entry.name] = plugin
        log.info("plugin.on", extra={"plugin": entry.name, "actions": sorted(plugin.supported_actions)})
    return plugins
