"""The plugin's settings, read from HAVEN_DISCOURSE_* environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from haven.plugins.protocol import PluginUnavailable

PREFIX = "HAVEN_DISCOURSE_"
HideStyle = Literal["queue_for_review", "take_action"]
HIDE_STYLES: tuple[HideStyle, ...] = ("queue_for_review", "take_action")


def instance_host(url: str) -> str:
    """`forum.example.org` from `https://forum.example.org/` (or from a bare host)."""
    text = url.strip()
    host = urlsplit(text if "://" in text else f"//{text}").netloc or text
    return host.lower().rstrip("/")


@dataclass(frozen=True)
class CommunityMap:
    """`instance/category=community` entries; a category is an id or a slug, `*` matches any."""

    entries: dict[tuple[str, str], str]

    @classmethod
    def parse(cls, text: str, variable: str) -> CommunityMap:
        entries: dict[tuple[str, str], str] = {}
        for raw in text.replace(";", ",").replace("\n", ",").split(","):
            item = raw.strip()
            if not item:
                continue
            left, sep, community = item.partition("=")
            instance, slash, category = left.strip().rpartition("/")
            if not sep or not slash or not instance or not category.strip() or not community.strip():
                raise PluginUnavailable(f"{variable}: entries are instance/category=community")
            key = ("*" if instance.strip() == "*" else instance_host(instance), category.strip().lower())
            entries[key] = community.strip()
        if not entries:
            raise PluginUnavailable(f"{variable} is not set")
        return cls(entries)

    def community_for(self, instance: str, category_id: object, category_slug: object) -> str | None:
        host = instance_host(instance) if instance else ""
        categories = [str(c).lower() for c in (category_id, category_slug) if c not in (None, "")]
        for inst in (host, "*"):
            for category in [*categories, "*"]:
                found = self.entries.get((inst, category))
                if found is not None:
                    return found
        return None


@dataclass(frozen=True)
class DiscourseSettings:
    webhook_secret: str
    base_url: str
    api_key: str
    api_username: str
    communities: CommunityMap
    moderators_group: str
    hide_style: HideStyle
    requests_per_minute: int
    max_wait_seconds: float
    timeout_seconds: float
    judge_private_messages: bool
    locale: str | None = None

    @property
    def instance(self) -> str:
        return instance_host(self.base_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscourseSettings:
        def required(name: str) -> str:
            value = env.get(PREFIX + name, "").strip()
            if not value:
                raise PluginUnavailable(f"{PREFIX}{name} is not set")
            return value

        def number(name: str, default: float) -> float:
            text = env.get(PREFIX + name, "").strip()
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                raise PluginUnavailable(f"{PREFIX}{name} must be a number") from None
            if value < 0:
                raise PluginUnavailable(f"{PREFIX}{name} must not be negative")
            return value

        secret = required("WEBHOOK_SECRET")
        base_url = required("BASE_URL").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise PluginUnavailable(f"{PREFIX}BASE_URL must start with http:// or https://")
        api_key = required("API_KEY")
        communities = CommunityMap.parse(required("COMMUNITIES"), PREFIX + "COMMUNITIES")
        style = env.get(PREFIX + "HIDE_STYLE", "queue_for_review").strip() or "queue_for_review"
        if style not in HIDE_STYLES:
            raise PluginUnavailable(f"{PREFIX}HIDE_STYLE must be one of {', '.join(HIDE_STYLES)}")
        per_minute = int(number("RATE_LIMIT_PER_MINUTE", 60))
        if per_minute < 1:
            raise PluginUnavailable(f"{PREFIX}RATE_LIMIT_PER_MINUTE must be at least 1")
        return cls(
            webhook_secret=secret,
            base_url=base_url,
            api_key=api_key,
            api_username=env.get(PREFIX + "API_USERNAME", "system").strip() or "system",
            communities=communities,
            moderators_group=env.get(PREFIX + "MODERATORS_GROUP", "moderators").strip() or "moderators",
            hide_style=style,
            requests_per_minute=per_minute,
            max_wait_seconds=number("MAX_WAIT_SECONDS", 10.0),
            timeout_seconds=number("TIMEOUT_SECONDS", 10.0) or 10.0,
            judge_private_messages=env.get(PREFIX + "JUDGE_PRIVATE_MESSAGES", "").strip().lower()
            in {"1", "true", "yes", "on"},
            locale=env.get(PREFIX + "LOCALE", "").strip() or None,
        )
