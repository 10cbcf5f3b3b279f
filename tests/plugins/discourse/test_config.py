from __future__ import annotations

import pytest
from haven.plugins.protocol import PluginUnavailable
from haven.plugins.testing import RecordingHost
from haven_discourse import create
from haven_discourse.config import CommunityMap, DiscourseSettings

from tests.plugins.discourse.conftest import plugin_env

BASE = "https://forum.example.org"


@pytest.mark.parametrize("name", ["WEBHOOK_SECRET", "BASE_URL", "API_KEY", "COMMUNITIES"])
def test_missing_required_setting_names_the_variable(name: str, host: RecordingHost) -> None:
    env = plugin_env(BASE)
    del env[f"HAVEN_DISCOURSE_{name}"]
    with pytest.raises(PluginUnavailable, match=f"HAVEN_DISCOURSE_{name}"):
        create(env, host)


def test_secret_value_never_appears_in_the_error(host: RecordingHost) -> None:
    env = plugin_env(BASE, HAVEN_DISCOURSE_HIDE_STYLE="hide_it")
    with pytest.raises(PluginUnavailable, match="HAVEN_DISCOURSE_HIDE_STYLE") as caught:
        create(env, host)
    assert env["HAVEN_DISCOURSE_API_KEY"] not in str(caught.value)


def test_defaults() -> None:
    env = plugin_env(BASE)
    del env["HAVEN_DISCOURSE_API_USERNAME"], env["HAVEN_DISCOURSE_MODERATORS_GROUP"]
    settings = DiscourseSettings.from_env(env)
    assert settings.api_username == "system"
    assert settings.moderators_group == "moderators"
    assert settings.hide_style == "queue_for_review"
    assert settings.requests_per_minute == 60
    assert settings.instance == "forum.example.org"


def test_community_map_by_category_id_slug_and_wildcards() -> None:
    mapping = CommunityMap.parse(
        "https://forum.example.org/12=pain; forum.example.org/grief=grief, forum.example.org/*=general, */*=elsewhere",
        "X",
    )
    assert mapping.community_for("https://forum.example.org", 12, "chronic-pain") == "pain"
    assert mapping.community_for("https://forum.example.org", 31, "grief") == "grief"
    assert mapping.community_for("https://forum.example.org", 99, None) == "general"
    assert mapping.community_for("https://other.example.org", 12, None) == "elsewhere"
    assert CommunityMap.parse("forum.example.org/12=pain", "X").community_for("forum.example.org", 13, "x") is None


@pytest.mark.parametrize("text", ["", "forum.example.org=pain", "12=pain", "forum.example.org/12="])
def test_community_map_errors_name_the_variable(text: str) -> None:
    with pytest.raises(PluginUnavailable, match="HAVEN_DISCOURSE_COMMUNITIES"):
        CommunityMap.parse(text, "HAVEN_DISCOURSE_COMMUNITIES")
