"""Fixtures for the Reddit plugin: the replay servers, real Redis (db 8) through the real host's
KeyValue, a recording host."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from haven.plugins.host import RedisKeyValue
from haven.plugins.testing import RecordingHost
from haven_reddit import RedditPlugin, create

from tests.plugins.reddit.replay import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    REFRESH_TOKEN,
    SUBREDDIT,
    USER_AGENT,
    USERNAME,
    FakeClock,
    Reddit,
    ReplayServers,
)
from tests.plugins.reddit.shared import PRAW_RECORDINGS

REDIS_URL = "redis://127.0.0.1:6379/8"

# ../shared may add checks, never required ones: without it the comparison is not collected at all.
collect_ignore = [] if PRAW_RECORDINGS.is_dir() else ["test_praw_shapes.py"]


class RedisKV(RedisKeyValue):
    """The real host's KeyValue (service/plugins/host.py) on real Redis, its keys under a
    key prefix of this test's own (xdist-safe), as HAVEN_REDIS_KEY_PREFIX sets it."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__(client, prefix)
        self.redis = client

    def clear(self) -> None:
        for key in self.redis.scan_iter(match=self.PREFIX + "*"):
            self.redis.delete(key)


@pytest.fixture
def reddit() -> Iterator[Reddit]:
    with ReplayServers() as state:
        yield state


@pytest.fixture
def kv() -> Iterator[RedisKV]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    store = RedisKV(client, f"test-reddit:{uuid.uuid4().hex}:")
    yield store
    store.clear()
    client.close()


@pytest.fixture
def host(kv: RedisKV) -> RecordingHost:
    return RecordingHost(kv)


@pytest.fixture
def clock(reddit: Reddit) -> FakeClock:
    return FakeClock(reddit.events)


def env_for(reddit: Reddit, **overrides: str) -> dict[str, str]:
    env = {
        "HAVEN_REDDIT_CLIENT_ID": CLIENT_ID,
        "HAVEN_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "HAVEN_REDDIT_USERNAME": USERNAME,
        "HAVEN_REDDIT_PASSWORD": PASSWORD,
        "HAVEN_REDDIT_USER_AGENT": USER_AGENT,
        "HAVEN_REDDIT_AUTH_URL": reddit.auth_url,
        "HAVEN_REDDIT_API_URL": reddit.api_url,
        "HAVEN_REDDIT_SUBREDDITS": f"{SUBREDDIT}=peer-support",
        "HAVEN_REDDIT_INITIAL_BACKLOG": "100",
    }
    env.update({f"HAVEN_REDDIT_{k.upper()}": v for k, v in overrides.items()})
    if "refresh_token" in overrides:
        env.pop("HAVEN_REDDIT_PASSWORD")
    return env


PluginFactory = Callable[..., RedditPlugin]


@pytest.fixture
def make_plugin(reddit: Reddit, host: RecordingHost, clock: FakeClock) -> Iterator[PluginFactory]:
    made: list[RedditPlugin] = []

    def make(**overrides: Any) -> RedditPlugin:
        plugin = create(env_for(reddit, **overrides), host, clock=clock, sleep=clock.sleep)
        made.append(plugin)
        return plugin

    yield make
    for plugin in made:
        plugin.close()


__all__ = ["REFRESH_TOKEN", "RedisKV", "env_for"]
