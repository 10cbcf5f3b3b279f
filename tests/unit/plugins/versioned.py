"""Plugins that declare a protocol version (or none), for the host's check."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
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


def create_current(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("current", 1)


def create_future(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("future", 99)


def create_unversioned(env: Mapping[str, str], host: PluginHost) -> Versioned:
    return Versioned("unversioned", None)
