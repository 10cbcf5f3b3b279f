"""The example plugin's own tests: each inbound path, the supervised stream, the actions.

They need only Haven (haven.plugins.testing) and the stand-in platform beside them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from importlib.metadata import entry_points

import pytest
from example_platform import SECRET, StandIn
from haven.domain import Action, Decision, PostRef
from haven.plugins.consumers import Supervisor, read_health
from haven.plugins.protocol import PROTOCOL_VERSION, Plugin, PluginUnavailable
from haven.plugins.testing import RecordingHost
from haven_example import ExamplePlugin, create
from haven_example.routes import SIGNATURE_HEADER, signature
from litestar import Litestar, Router
from litestar.testing import TestClient


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def post_event(external_id: str, text: str = "hello all") -> dict[str, object]:
    return {"type": "post", "id": external_id, "author": "u1", "text": text}


def test_it_is_a_plugin_haven_finds_and_speaks_to(plugin: ExamplePlugin) -> None:
    assert "example" in {e.name for e in entry_points(group="haven.plugins")}
    assert isinstance(plugin, Plugin)
    assert plugin.protocol_version == PROTOCOL_VERSION


def test_a_missing_setting_leaves_it_off_naming_the_variable(host: RecordingHost) -> None:
    with pytest.raises(PluginUnavailable, match="HAVEN_EXAMPLE_BASE_URL"):
        create({}, host)


def test_the_webhook_ingests_a_signed_event_and_refuses_an_unsigned_one(
    plugin: ExamplePlugin, host: RecordingHost
) -> None:
    app = Litestar([Router(path="/v1/plugins/example", route_handlers=list(plugin.routes()))])
    body = json.dumps(post_event("42")).encode()
    with TestClient(app) as client:
        refused = client.post("/v1/plugins/example/events", content=body, headers={SIGNATURE_HEADER: "sha256=00"})
        signed = client.post(
            "/v1/plugins/example/events", content=body, headers={SIGNATURE_HEADER: signature(SECRET, body)}
        )
    assert refused.status_code == 401
    assert signed.status_code == 202
    assert [p.external_id for p in host.posts] == ["42"]


def test_the_stream_is_kept_running_and_started_again_when_it_drops(
    plugin: ExamplePlugin, host: RecordingHost, platform: StandIn
) -> None:
    supervisor = Supervisor(plugin.consumers(), host.kv, backoff_seconds=0.05, lease_seconds=1)
    supervisor.start()
    try:
        platform.events.put(post_event("1"))
        platform.events.put(None)  # the platform drops the connection
        platform.events.put(post_event("2"))
        eventually(lambda: [p.external_id for p in host.posts] == ["1", "2"])
        assert platform.connections == 2
        health = read_health(host.kv, ["stream"])["stream"]
        assert health.state == "running"
        assert health.restarts == 1
    finally:
        supervisor.stop()
    assert read_health(host.kv, ["stream"])["stream"].state == "stopped"


def test_the_stream_stops_when_haven_stops_it(plugin: ExamplePlugin, platform: StandIn) -> None:
    stop = threading.Event()
    runner = threading.Thread(target=plugin.stream.run, args=(stop,))
    runner.start()
    assert platform.connected.wait(10)
    stop.set()
    runner.join(10)
    assert not runner.is_alive()


def test_hold_and_remove_hide_the_post_and_an_overturn_unhides_it(plugin: ExamplePlugin, platform: StandIn) -> None:
    post = plugin.receive_event(post_event("7"))
    assert post is not None
    decision = Decision(
        id=post.decision_id(),
        post=PostRef.of(post),
        policy_version="test",
        verdict="remove",
        mode="enforce",
        matches=[],
    )
    assert plugin.execute(decision, Action(kind="remove")).status == "done"
    assert plugin.execute(decision, Action(kind="reply")).status == "unsupported"
    plugin.review_recorded(decision, "overturned", "mod-1")
    assert platform.hidden == ["hide 7", "unhide 7"]
    plugin.escalation_reminder(decision, 2, final=True)
    (notified,) = platform.notified
    assert {k: notified[k] for k in ("post", "reminder", "final")} == {"post": "7", "reminder": 2, "final": True}
    assert notified["title"].startswith("Removed, please check")
    assert notified["console"] == f"https://haven.example/console/#decision/{decision.id}"
