"""Slack adapter: workspace messages judged from the Events API, moderators alerted with
Block Kit buttons, actions carried out with the Web API.

Entry point `slack = "haven_slack:create"`; settings in HAVEN_SLACK_* (docs/plugins.md, Slack).
"""

from __future__ import annotations

from collections.abc import Mapping

from haven.plugins.protocol import PluginHost

from haven_slack.plugin import SlackPlugin
from haven_slack.settings import SlackSettings


def create(env: Mapping[str, str], host: PluginHost) -> SlackPlugin:
    """The plugin factory; raises PluginUnavailable naming a missing or wrong setting."""
    return SlackPlugin(SlackSettings.from_env(env), host)


__all__ = ["SlackPlugin", "SlackSettings", "create"]
