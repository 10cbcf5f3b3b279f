"""The Slack plugin's settings, from HAVEN_SLACK_* environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from haven.plugins.protocol import PluginUnavailable

DEFAULT_API_BASE_URL = "https://slack.com/api"


def parse_communities(raw: str) -> dict[str, str]:
    """`T123=recovery,T123/C999=grief-circle` -> {"T123": "recovery", "T123/C999": "grief-circle"}."""
    mapping: dict[str, str] = {}
    for position, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        where, sep, community = item.partition("=")
        where, community = where.strip(), community.strip()
        team, _, channel = where.partition("/")
        if not sep or not community or not team or ("/" in where and not channel):
            # The entry's position, not its text: a reason is logged and shown, a value never.
            raise PluginUnavailable(
                f"HAVEN_SLACK_COMMUNITIES: entry {position} must read TEAM=community or TEAM/CHANNEL=community"
            )
        mapping[where] = community
    if not mapping:
        raise PluginUnavailable("HAVEN_SLACK_COMMUNITIES is empty (e.g. T123=recovery,T123/C999=grief-circle)")
    return mapping


@dataclass(frozen=True)
class SlackSettings:
    signing_secret: str
    """HAVEN_SLACK_SIGNING_SECRET: the app's signing secret (Basic Information page)."""
    bot_token: str
    """HAVEN_SLACK_BOT_TOKEN: xoxb- token with chat:write, chat:write.public, users:read."""
    moderator_channel: str
    """HAVEN_SLACK_MODERATOR_CHANNEL: channel id where moderators get alerts with buttons."""
    communities: dict[str, str]
    """HAVEN_SLACK_COMMUNITIES: team or team/channel -> Haven community."""
    admin_user_token: str | None = None
    """HAVEN_SLACK_ADMIN_USER_TOKEN: xoxp- token of a workspace admin, to delete members' messages."""
    api_base_url: str = DEFAULT_API_BASE_URL
    """HAVEN_SLACK_API_BASE_URL: the Web API's base URL."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings:
        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise PluginUnavailable(f"{name} is not set")
            return value

        return cls(
            signing_secret=required("HAVEN_SLACK_SIGNING_SECRET"),
            bot_token=required("HAVEN_SLACK_BOT_TOKEN"),
            moderator_channel=required("HAVEN_SLACK_MODERATOR_CHANNEL"),
            communities=parse_communities(required("HAVEN_SLACK_COMMUNITIES")),
            admin_user_token=env.get("HAVEN_SLACK_ADMIN_USER_TOKEN", "").strip() or None,
            api_base_url=(env.get("HAVEN_SLACK_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL).rstrip("/"),
        )

    def community_for(self, team: str | None, channel: str | None) -> str | None:
        """The channel's own mapping first, then the workspace's."""
        if team is None:
            return None
        return self.communities.get(f"{team}/{channel}") or self.communities.get(team)
