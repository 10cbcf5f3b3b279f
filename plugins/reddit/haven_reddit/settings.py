"""The Reddit plugin's configuration, read from HAVEN_REDDIT_* environment variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from haven.plugins.protocol import PluginUnavailable

PREFIX = "HAVEN_REDDIT_"
DEFAULT_AUTH_URL = "https://www.reddit.com"
DEFAULT_API_URL = "https://oauth.reddit.com"

# Reddit's required format: <platform>:<app ID>:<version string> (by /u/<reddit username>)
USER_AGENT_FORMAT = re.compile(r"^[^:\s]+:[^:\s]+:[^:\s]+ \(by /?u/[A-Za-z0-9_-]{3,20}\)$")
_SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{2,21}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class RedditSettings:
    client_id: str
    client_secret: str
    username: str
    password: str | None
    refresh_token: str | None
    user_agent: str
    auth_url: str
    api_url: str
    # lower-cased subreddit name -> Haven community
    communities: Mapping[str, str]
    poll_interval: float = 30.0
    poll_modqueue: bool = False
    poll_edited: bool = False
    # On the very first pass (no cursor yet) judge up to this many existing items; later passes judge only new ones.
    initial_backlog: int = 0
    # Reddit tells nothing of a member's country: the locale crisis replies are written for
    # (its region picks the crisis lines, e.g. en-GB → Samaritans); unset → international lines.
    locale: str | None = None

    @property
    def poll_lock_seconds(self) -> int:
        """How long one poller holds a stream (or modmail) before another may take it: a few
        passes, so a poller that died frees it soon."""
        return max(60, int(self.poll_interval * 4))

    @property
    def subreddits(self) -> list[str]:
        return sorted(self.communities)

    def community_of(self, subreddit: str) -> str | None:
        return self.communities.get(subreddit.lower())


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(PREFIX + name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _require(env: Mapping[str, str], name: str) -> str:
    value = _get(env, name)
    if value is None:
        raise PluginUnavailable(f"{PREFIX}{name} is not set")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(PREFIX + name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise PluginUnavailable(f"{PREFIX}{name} must be true or false")


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PluginUnavailable(f"{PREFIX}{name} must be a number") from None
    if not low <= value <= high:
        raise PluginUnavailable(f"{PREFIX}{name} must be between {low:g} and {high:g}")
    return value


def parse_communities(raw: str) -> dict[str, str]:
    """`support=chronic-pain, griefsupport` -> {"support": "chronic-pain", "griefsupport": "griefsupport"}."""
    mapping: dict[str, str] = {}
    for part in raw.split(","):
        entry = part.strip()
        if not entry:
            continue
        sub, _, community = entry.partition("=")
        sub = sub.strip().removeprefix("r/").removeprefix("/r/")
        community = community.strip() or sub
        if not _SUBREDDIT.match(sub):
            raise PluginUnavailable(f"{PREFIX}SUBREDDITS has an invalid subreddit name")
        mapping[sub.lower()] = community
    if not mapping:
        raise PluginUnavailable(f"{PREFIX}SUBREDDITS is not set")
    return mapping


def load_settings(env: Mapping[str, str]) -> RedditSettings:
    client_id = _require(env, "CLIENT_ID")
    client_secret = _require(env, "CLIENT_SECRET")
    username = _require(env, "USERNAME")
    refresh_token = _get(env, "REFRESH_TOKEN")
    password = _get(env, "PASSWORD")
    if refresh_token is None and password is None:
        raise PluginUnavailable(f"{PREFIX}PASSWORD (or {PREFIX}REFRESH_TOKEN) is not set")
    user_agent = _require(env, "USER_AGENT")
    if not USER_AGENT_FORMAT.match(user_agent):
        raise PluginUnavailable(f"{PREFIX}USER_AGENT must look like '<platform>:<app ID>:<version> (by /u/<username>)'")
    communities = parse_communities(_require(env, "SUBREDDITS"))
    return RedditSettings(
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        password=password,
        refresh_token=refresh_token,
        user_agent=user_agent,
        auth_url=(_get(env, "AUTH_URL") or DEFAULT_AUTH_URL).rstrip("/"),
        api_url=(_get(env, "API_URL") or DEFAULT_API_URL).rstrip("/"),
        communities=communities,
        poll_interval=_number(env, "POLL_INTERVAL", 30.0, 2.0, 3600.0),
        poll_modqueue=_flag(env, "POLL_MODQUEUE"),
        poll_edited=_flag(env, "POLL_EDITED"),
        initial_backlog=int(_number(env, "INITIAL_BACKLOG", 0, 0, 100)),
        locale=_get(env, "LOCALE"),
    )
