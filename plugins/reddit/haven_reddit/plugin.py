"""The Reddit plugin object: what Haven's host sees."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from haven.domain import Action, Decision
from haven.plugins.protocol import ActionResult, Consumer, PeriodicTask, PluginHost

from haven_reddit import cli
from haven_reddit.actions import SUPPORTED, RedditActions
from haven_reddit.client import build_client
from haven_reddit.commands import ModmailCommands
from haven_reddit.poller import Poller
from haven_reddit.settings import RedditSettings, load_settings


class RedditPlugin:
    name = "reddit"
    protocol_version = 1
    supported_actions = SUPPORTED

    def __init__(
        self,
        settings: RedditSettings,
        host: PluginHost,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.host = host
        self.sleep = sleep
        self.client, self._connections = build_client(
            auth_url=settings.auth_url,
            api_url=settings.api_url,
            user_agent=settings.user_agent,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            username=settings.username,
            password=settings.password,
            refresh_token=settings.refresh_token,
            clock=clock,
            sleep=sleep,
        )
        self.poller = Poller(self.client, host, settings)
        self.actions = RedditActions(self.client, host, settings)
        self.commands = ModmailCommands(self.client, host, settings)

    def routes(self) -> Sequence[Any]:
        return []  # Reddit has no inbound webhooks: we poll.

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        return self.actions.execute(decision, action)

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        if outcome == "overturned":
            self.actions.approve_overturned(decision)

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        self.actions.remind(decision, number, final)

    def escalation_acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        self.actions.acknowledged(decision, moderator, acknowledged_at)

    def consumers(self) -> Mapping[str, Consumer]:
        return {}

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]:
        def poll() -> None:
            self.poller.poll_once()

        def modmail() -> None:
            self.commands.poll_once()

        return {
            "poll": PeriodicTask(every_seconds=self.settings.poll_interval, run=poll),
            "modmail": PeriodicTask(every_seconds=self.settings.poll_interval, run=modmail),
        }

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        cli.register(self, commands)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def create(
    env: Mapping[str, str],
    host: PluginHost,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RedditPlugin:
    """The `haven.plugins` entry point; raises PluginUnavailable naming a missing HAVEN_REDDIT_* setting."""
    return RedditPlugin(load_settings(env), host, clock=clock, sleep=sleep)


__all__ = ["RedditPlugin", "create"]
