"""Plugins that declare a protocol version (or none), for the host's check; one of them also
has the optional escalation_acknowledged hook."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from haven.domain import Action, Decision
from haven.plugins.protocol import ActionResult, Consumer, PeriodicTask, PluginHost


class Versioned:
    supported_actions = frozenset({"remove"})

    def __init__(self, name: str, version: int | None) -> None:
        self.name = name
        if version is not None:
            self.protocol_version = version

    def routes(self) -> Sequence[Any]:
        return []

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        return ActionResult("done")

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        return None

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        return None

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]:
        return {}

    def consumers(self) -> Mapping[str, Consumer]:
        return {}

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        return None

    def close(self) -> None:
        return None


class Listening(Versioned):
    def __init__(self) -> None:
        super().__init__("listening", 1)
        self.heard: list[tuple[str, str, datetime]] = []

    def escalation_acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        self.heard.append((decision.id, moderator, acknowledged_at))


def create_listening(env: Mapping[str, str], host: PluginHost) -> Listening:
    return Listening()


def create_current(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("current", 1)


def create_future(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("future", 99)


def create_unversioned(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("unversioned", None)
