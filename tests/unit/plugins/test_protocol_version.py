"""A plugin declares the protocol version it was written for; Haven turns off, with a clear
reason, a plugin whose version it does not speak."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from haven.plugins.registry import ENTRY_POINT_GROUP, load_plugins
from haven.plugins.testing import RecordingHost


def entry(name: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"tests.unit.plugins.versioned:create_{name}", group=ENTRY_POINT_GROUP)


def test_only_a_plugin_of_a_protocol_this_haven_speaks_is_started() -> None:
    plugins = load_plugins({}, RecordingHost(), [entry("current"), entry("future"), entry("unversioned")])
    assert sorted(plugins.active) == ["current"]
    assert plugins.off["future"] == (
        "written for plugin protocol 99; this Haven speaks 1: upgrade Haven, or install a version of the plugin made for 1"
    )
    assert plugins.off["unversioned"].startswith("declares no protocol_version; this Haven speaks plugin protocol 1")
