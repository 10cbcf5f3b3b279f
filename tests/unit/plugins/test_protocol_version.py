"""A plugin declares the protocol version it was written for; Haven turns off, with a clear
reason, a plugin whose version it does not speak."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path

from haven.domain import Author, Post
from haven.plugins.dispatch import NOTICES, PLUGIN_ACKNOWLEDGED
from haven.plugins.protocol import AcknowledgementHook
from haven.plugins.registry import ENTRY_POINT_GROUP, load_plugins
from haven.plugins.testing import RecordingHost
from haven.policy import evaluate, load_policy_set

from tests.unit.plugins.versioned import Listening

REPO = Path(__file__).resolve().parents[3]


def entry(name: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"tests.unit.plugins.versioned:create_{name}", group=ENTRY_POINT_GROUP)


def test_only_a_plugin_of_a_protocol_this_haven_speaks_is_started() -> None:
    plugins = load_plugins({}, RecordingHost(), [entry("current"), entry("future"), entry("unversioned")])
    assert sorted(plugins.active) == ["current"]
    assert plugins.off["future"] == (
        "written for plugin protocol 99; this Haven speaks 1: upgrade Haven, or install a version of the plugin made for 1"
    )
    assert plugins.off["unversioned"].startswith("declares no protocol_version; this Haven speaks plugin protocol 1")


def test_the_acknowledgement_hook_is_optional_a_plugin_without_it_loads_and_is_told_nothing() -> None:
    plugins = load_plugins({}, RecordingHost(), [entry("current"), entry("listening")])
    assert sorted(plugins.active) == ["current", "listening"]
    assert not isinstance(plugins.active["current"], AcknowledgementHook)
    post = Post(platform="current", community="c", external_id="1", author=Author(id="u1"), body="hello")
    decision = evaluate(load_policy_set(REPO / "policies"), post, now=datetime.now(UTC))
    at = datetime(2026, 12, 2, 6, 5, tzinfo=UTC)

    for plugin in plugins.active.values():
        NOTICES[PLUGIN_ACKNOWLEDGED].tell(plugin, decision, "mod-alex", at.isoformat())

    listening = plugins.active["listening"]
    assert isinstance(listening, Listening)
    assert listening.heard == [(decision.id, "mod-alex", at)]
