"""Discourse adapter: forum posts judged from webhooks, actions through the admin API.

Entry point `discourse = "haven_discourse:create"`; settings in HAVEN_DISCOURSE_*
(see docs/plugins.md, section Discourse).
"""

from __future__ import annotations

from collections.abc import Mapping

from haven.plugins.protocol import PluginHost

from haven_discourse.config import DiscourseSettings
from haven_discourse.plugin import DiscoursePlugin


def create(env: Mapping[str, str], host: PluginHost) -> DiscoursePlugin:
    """The plugin factory; raises PluginUnavailable naming a missing or wrong setting."""
    return DiscoursePlugin(DiscourseSettings.from_env(env), host)


__all__ = ["DiscoursePlugin", "DiscourseSettings", "create"]
