"""What a platform adapter is to Haven, and what Haven offers it.

A plugin is an ordinary package registered in the entry-point group
`haven.plugins`; the entry point names a factory `create(env, host) -> Plugin`.
Haven never imports a plugin by name: it finds them all through that group,
so a third party's adapter installs the same way as ours. See docs/plugins.md.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from haven.domain import Action, Decision, Post
from haven.moderation.alert import Alert

PROTOCOL_VERSION = 1
"""The plugin protocol this Haven speaks. A plugin declares the version it was written for
(`protocol_version`); Haven turns off, saying why, a plugin of a version it does not speak.
A change that would break a plugin written for an earlier version raises it."""
SUPPORTED_PROTOCOLS = frozenset({PROTOCOL_VERSION})


class PluginUnavailable(Exception):
    """Raised by a factory whose configuration is missing or wrong; the plugin stays off.

    The message names the missing setting (never its value).
    """


@dataclass(frozen=True)
class ActionResult:
    """What happened when a plugin carried out one neutral action on its platform."""

    status: Literal["done", "unsupported", "failed", "skipped"]
    detail: str = ""
    # The platform's id of what the action created (a message, a flag), for undoing it later.
    platform_ref: str | None = None
    # Transient failures are retried by the task with backoff; permanent ones are recorded.
    retryable: bool = False
    # A platform's own wait before the next attempt (e.g. Slack's 429 Retry-After); at least this long.
    retry_after_seconds: float | None = None


class KeyValue(Protocol):
    """Small durable state for a plugin (cursors, seen event ids): Redis in the service."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, *, ttl_seconds: int | None = None) -> None: ...

    def add(self, key: str, value: str, *, ttl_seconds: int | None = None) -> bool:
        """Set only if absent; True when this call set it (first sight of an event id)."""
        ...

    def delete(self, key: str) -> None: ...


class PluginHost(Protocol):
    """Haven's side of the protocol, handed to every plugin factory."""

    kv: KeyValue

    def ingest(self, posts: Sequence[Post], *, received_at: datetime | None = None) -> list[str]:
        """Deduplicate and enqueue posts exactly as POST /v1/posts does; returns their decision ids."""
        ...

    def decision(self, community: str, decision_id: str) -> Decision | None: ...

    def record_review(
        self, community: str, decision_id: str, *, outcome: Literal["upheld", "overturned"], moderator: str, note: str
    ) -> bool:
        """Store a moderator's review (and emit review.recorded); False when the decision is unknown."""
        ...

    def acknowledge(self, community: str, decision_id: str, *, moderator: str) -> bool:
        """Record that a moderator saw an escalation (reminders stop; escalation.acknowledged is
        sent); False when the decision is unknown or did not escalate."""
        ...

    def cancel_actions(self, community: str, platform: str, external_id: str) -> int:
        """Cancel platform actions not yet carried out for a post (it was deleted); returns how many."""
        ...

    def alert(self, decision: Decision, *, locale: str | None = None, text: Mapping[str, str] | None = None) -> Alert:
        """The moderators' alert of a decision, the same on every platform (haven.moderation.alert):
        the plugin only translates it to its format. `locale` picks the crisis lines' region; `text`
        (field -> the post's words, when the plugin has them) shows the matched words in context.

        Added in protocol version 1 without raising it: a host gaining a method breaks no plugin."""
        ...


@dataclass(frozen=True)
class PeriodicTask:
    """Work a plugin needs done on a schedule (a poller); run by `haven scheduler`."""

    every_seconds: float
    run: Callable[[], None]


@dataclass(frozen=True)
class Consumer:
    """A long-lived connection a plugin keeps open to receive events (Discord's Gateway, a
    Matrix sync loop, a Mastodon stream).

    `run(stop)` connects and handles events until `stop` is set, then returns. Haven runs it in
    a thread of its own, in one process at a time (`haven worker`, `haven plugins NAME run`, or
    an embedded `haven serve`), starts it again with back-off (1 s doubling to 60 s) whenever it
    returns or raises before being stopped, and shows its health on /readyz."""

    run: Callable[[threading.Event], None]


@runtime_checkable
class Plugin(Protocol):
    name: str
    """The entry-point name and URL segment: routes mount under /v1/plugins/<name>/."""

    protocol_version: int
    """The plugin protocol version this plugin was written for (PROTOCOL_VERSION)."""

    supported_actions: frozenset[str]
    """Neutral action kinds this platform can carry out; others are recorded as unsupported."""

    def routes(self) -> Sequence[Any]:
        """Litestar route handlers or controllers (inbound webhooks, interactions)."""
        ...

    def execute(self, decision: Decision, action: Action) -> ActionResult:
        """Carry out one action on the platform. Runs in a worker task, possibly twice: be idempotent."""
        ...

    def review_recorded(self, decision: Decision, outcome: str, moderator: str) -> None:
        """A moderator confirmed or overturned a decision: undo what can be undone on overturn."""
        ...

    def escalation_reminder(self, decision: Decision, number: int, final: bool) -> None:
        """Nobody acknowledged this escalation yet: say so again to the platform's moderators
        (`number` counts reminders; `final`: the last one, the on-call list is told now)."""
        ...

    def periodic_tasks(self) -> Mapping[str, PeriodicTask]: ...

    def consumers(self) -> Mapping[str, Consumer]:
        """Long-running consumers Haven keeps running, by name; {} for a plugin that needs none."""
        ...

    def register_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add subcommands under `haven plugins <name> ...` (e.g. `haven plugins reddit poll`)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class AcknowledgementHook(Protocol):
    """An optional hook a plugin may have beside the `Plugin` protocol.

    Optional, not part of `Plugin`, so that a plugin written for protocol version 1 before it
    existed still loads and works: Haven calls it only on a plugin that has it."""

    def escalation_acknowledged(self, decision: Decision, moderator: str, acknowledged_at: datetime) -> None:
        """A moderator acknowledged this escalation (the first acknowledgement: through the API,
        the console, this or another platform): say so where the platform's moderators saw the
        alert. Runs in a task on the crisis queue, possibly twice: be idempotent, and say nothing
        where the acknowledgement came from the platform's own alert (`moderator` is Haven's
        record of who: `slack:U123`, `reddit:name`, or a name given to the API)."""
        ...


PluginFactory = Callable[[Mapping[str, str], PluginHost], Plugin]
