"""The admin API's limit: a client-side window, and the server's 429 with Retry-After."""

from __future__ import annotations

import pytest
from haven.plugins.testing import RecordingHost
from haven_discourse import DiscoursePlugin
from haven_discourse.client import AdminClient, RateLimiter
from haven_discourse.config import DiscourseSettings

from tests.plugins.discourse.conftest import plugin_env
from tests.plugins.discourse.fake_discourse import FakeDiscourse
from tests.plugins.discourse.payloads import post_payload

DOXXING = "FYI the user grief_dad is Tom from Cork, he works at the bank on Main St. Email him at tom.cork@gmail.com"


class Clock:
    """Time that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_window_allows_per_minute_calls_then_waits_for_the_oldest_to_age_out() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    assert all(limiter.acquire(max_wait=0) for _ in range(3))
    assert not limiter.acquire(max_wait=10)  # the next slot is 60 s away
    assert clock.slept == []
    assert limiter.acquire(max_wait=60)
    assert clock.slept == [60.0]


def test_a_429_blocks_every_call_until_it_has_passed() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    limiter.block_for(30)
    assert limiter.wait_time() == 30
    assert not limiter.acquire(max_wait=5)
    assert limiter.acquire(max_wait=30)


def _hold(plugin: DiscoursePlugin, host: RecordingHost, post_id: int):  # type: ignore[no-untyped-def]
    status, answer = plugin.receive("post_created", post_payload(post_id, DOXXING), plugin.settings.base_url)
    assert status == 202
    decision = host.decisions[answer["decision_id"]]
    return decision, next(a for a in decision.actions if a.kind == "hold")


def test_a_short_retry_after_is_waited_out_and_the_call_repeated(
    plugin: DiscoursePlugin, host: RecordingHost, fake: FakeDiscourse
) -> None:
    decision, hold = _hold(plugin, host, 4001)
    fake.script(
        429, {"errors": ["slow down"], "error_type": "rate_limit", "extras": {"wait_seconds": 0}}, {"Retry-After": "0"}
    )
    assert plugin.execute(decision, hold).status == "done"
    assert len(fake.admin_calls("POST", "/post_actions.json")) == 2
    assert 4001 in fake.hidden


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Retry-After": "120"}, {"errors": ["slow down"], "error_type": "rate_limit"}),
        (
            {},
            {
                "errors": ["slow down"],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": 45, "time_left": "45 seconds"},
            },
        ),
    ],
    ids=["retry-after-header", "wait-seconds-in-body"],
)
def test_a_long_retry_after_is_a_retryable_failure_without_waiting(
    headers: dict[str, str], body: dict[str, object], fake: FakeDiscourse, host: RecordingHost
) -> None:
    clock = Clock()
    settings = DiscourseSettings.from_env(plugin_env(fake.base_url, HAVEN_DISCOURSE_MAX_WAIT_SECONDS="5"))
    limiter = RateLimiter(settings.requests_per_minute, clock=clock, sleep=clock.sleep)
    client = AdminClient(
        settings.base_url,
        settings.api_key,
        settings.api_username,
        limiter=limiter,
        max_wait_seconds=5,
    )
    plugin = DiscoursePlugin(settings, host, client)
    try:
        decision, hold = _hold(plugin, host, 4002)
        wait = float(headers.get("Retry-After") or 45)
        fake.script(429, body, headers)
        result = plugin.execute(decision, hold)
        assert (result.status, result.retryable) == ("failed", True)
        assert "rate limit" in result.detail
        # The task backs off at least as long as Discourse asked.
        assert result.retry_after_seconds == wait
        assert clock.slept == []
        assert len(fake.admin_calls("POST", "/post_actions.json")) == 1
        # Until the wait has passed, nothing more goes out, not even for other decisions,
        # and the task is told what is left of the wait.
        clock.now += 10
        again = plugin.execute(decision, hold)
        assert (again.status, again.retry_after_seconds) == ("failed", wait - 10)
        assert len(fake.calls) == 1
        # Once it has passed, the retry goes out and hides the post.
        clock.now += wait
        assert plugin.execute(decision, hold).status == "done"
        assert 4002 in fake.hidden
    finally:
        plugin.close()
