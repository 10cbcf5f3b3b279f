"""Finds the installed plugins through their entry points and starts the configured ones."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from haven.plugins.protocol import (
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOLS,
    Plugin,
    PluginHost,
    PluginUnavailable,
)

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


def protocol_refusal(plugin: object) -> str | None:
    """Why Haven cannot speak to this plugin's protocol version, or None when it can."""
    declared = getattr(plugin, "protocol_version", None)
    if declared is None:
        return (
            f"declares no protocol_version; this Haven speaks plugin protocol {PROTOCOL_VERSION} (see docs/plugins.md)"
        )
    if declared in SUPPORTED_PROTOCOLS:
        return None
    fix = "upgrade Haven, or" if isinstance(declared, int) and declared > max(SUPPORTED_PROTOCOLS) else ""
    return (
        f"written for plugin protocol {declared}; this Haven speaks {PROTOCOL_VERSION}: "
        f"{fix + ' ' if fix else ''}install a version of the plugin made for {PROTOCOL_VERSION}"
    )


def load_plugins(env: Mapping[str, str], host: PluginHost, entries: Iterable[EntryPoint] | None = None) -> Plugins:
    """Start every installed plugin (or those of `entries`); the others are off, with why."""
    plugins = Plugins()
    found = entry_points(group=ENTRY_POINT_GROUP) if entries is None else entries
    for entry in sorted(found, key=lambda e: e.name):
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
        refused = protocol_refusal(plugin)
        if refused is not None:
            plugins.off[entry.name] = refused
            log.warning("plugin.off", extra={"plugin": entry.name, "reason": refused})
            continue
        if not isinstance(plugin, Plugin) or plugin.name != entry.name:
            plugins.off[entry.name] = "does not implement the plugin protocol"
            continue
        plugins.active[entry.name] = plugin
        log.info("plugin.on", extra={"plugin": entry.name, "actions": sorted(plugin.supported_actions)})
    return plugins
