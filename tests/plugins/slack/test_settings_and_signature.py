"""Slack's signature scheme, the plugin's settings and how messages become Posts."""

from __future__ import annotations

import pytest
from haven.plugins.host import MemoryKeyValue
from haven.plugins.protocol import PluginUnavailable
from haven_slack import create
from haven_slack.normalise import is_from_a_bot, post_from_message
from haven_slack.settings import SlackSettings, parse_communities
from haven_slack.signature import sign, verify
from slack_sdk.signature import SignatureVerifier

# slack_sdk's own test vector (tests/slack_sdk/signature/test_signature_verifier.py).
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXPECTED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
ENV = {
    "HAVEN_SLACK_SIGNING_SECRET": SECRET,
    "HAVEN_SLACK_BOT_TOKEN": "xoxb-1",
    "HAVEN_SLACK_MODERATOR_CHANNEL": "C0MODS",
    "HAVEN_SLACK_COMMUNITIES": "T123=recovery,T123/C999=grief-circle",
}


def test_signature_matches_slacks_test_vector_and_slack_sdk() -> None:
    assert sign(SECRET, TIMESTAMP, BODY) == EXPECTED
    now = int(TIMESTAMP) + 10
    assert verify(SECRET, TIMESTAMP, EXPECTED, BODY, now=now)
    headers = {"X-Slack-Request-Timestamp": TIMESTAMP, "X-Slack-Signature": EXPECTED}
    assert SignatureVerifier(SECRET, clock=_Clock(now)).is_valid_request(BODY, headers)


class _Clock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


@pytest.mark.parametrize(
    ("timestamp", "signature", "now"),
    [
        (TIMESTAMP, EXPECTED, int(TIMESTAMP) + 301),  # stale
        (TIMESTAMP, EXPECTED, int(TIMESTAMP) - 301),  # from the future
        (TIMESTAMP, EXPECTED.replace("a", "b"), int(TIMESTAMP)),  # wrong
        ("not-a-number", EXPECTED, int(TIMESTAMP)),
        ("9" * 400, EXPECTED, int(TIMESTAMP)),  # overflowed the float comparison
        (None, EXPECTED, int(TIMESTAMP)),
        (TIMESTAMP, None, int(TIMESTAMP)),
    ],
)
def test_bad_or_stale_signatures_are_refused(timestamp: str | None, signature: str | None, now: int) -> None:
    assert not verify(SECRET, timestamp, signature, BODY, now=now)


@pytest.mark.parametrize("missing", sorted(ENV))
def test_missing_setting_keeps_the_plugin_off_naming_the_variable(missing: str) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(PluginUnavailable, match=missing):
        create(env, _NoHost())  # type: ignore[arg-type]


def test_channel_mapping_wins_over_the_workspace_mapping() -> None:
    settings = SlackSettings.from_env(ENV)
    assert settings.community_for("T123", "C999") == "grief-circle"
    assert settings.community_for("T123", "C111") == "recovery"
    assert settings.community_for("T999", "C111") is None
    assert settings.api_base_url == "https://slack.com/api"
    with pytest.raises(PluginUnavailable, match="HAVEN_SLACK_COMMUNITIES"):
        parse_communities("T123")


def test_thread_reply_becomes_a_comment_with_quotes_marked() -> None:
    post = post_from_message(
        {
            "user": "U1",
            "text": "&gt; you should end it\nI would never say that",
            "ts": "1700000001.000200",
            "thread_ts": "1700000000.000100",
        },
        channel="C1",
        community="recovery",
    )
    assert post.kind == "comment"
    assert post.external_id == "C1:1700000001.000200"
    assert post.thread_id == post.parent_id == "C1:1700000000.000100"
    assert post.body.startswith("> you should end it")
    assert post.body[post.quoted[0].start : post.quoted[0].end] == "> you should end it"


def test_bot_messages_are_recognised() -> None:
    assert is_from_a_bot({"bot_id": "B1", "text": "hi"}, set())
    assert is_from_a_bot({"subtype": "bot_message", "username": "x"}, set())
    assert is_from_a_bot({"user": "UBOT"}, {"UBOT"})
    assert not is_from_a_bot({"user": "U1"}, {"UBOT"})


class _NoHost:
    kv = MemoryKeyValue()
