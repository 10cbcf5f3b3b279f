"""`haven plugins`: the installed platform plugins, on or off and why; `haven plugins NAME ...`,
each plugin's own commands.

A plugin's commands are known only once it is started (its credentials read),
so `haven plugins NAME` starts the services and hands the rest of the command
line to the parser the plugin fills with `register_commands`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from haven.cli.descriptions import describe_subcommands
from haven.cli.settings_loading import load_settings
from haven.plugins.registry import ENTRY_POINT_GROUP

if TYPE_CHECKING:
    from haven.services import Services

HOW_TO_TURN_ON = "set its HAVEN_<PLUGIN>_* variables (docs/plugins.md)"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plugins = commands.add_parser(
        "plugins",
        help="installed platform plugins: on or off and why; each plugin's own commands",
        description="Without a plugin name: list the installed platform plugins, whether each is on, "
        f"and why it is off. A plugin is on once its settings are in place: {HOW_TO_TURN_ON}. "
        "`haven plugins NAME --help` lists a plugin's own commands.",
    )
    plugins.set_defaults(handler=run_list)
    names = plugins.add_subparsers(dest="plugin", metavar="PLUGIN")
    for entry in installed():
        summary = _summary(entry)
        # Everything after the name is the plugin's own command line, --help included.
        one = names.add_parser(entry.name, help=summary, description=summary, add_help=False)
        one.set_defaults(handler=run_plugin_command, takes_rest=True, plugin_summary=summary)


def installed() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)


def _summary(entry: EntryPoint) -> str:
    summary = entry.dist.metadata["Summary"] if entry.dist is not None else None
    return str(summary) if summary else f"the {entry.name} plugin"


@contextmanager
def _quiet_plugin_logs() -> Iterator[None]:
    """Starting the services logs each plugin that is off; these commands print why themselves."""
    log = logging.getLogger("haven")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def run_list(args: argparse.Namespace) -> int:
    from haven.services import build_services

    with _quiet_plugin_logs():
        services = build_services(load_settings())
    try:
        versions = {e.name: (e.dist.version if e.dist is not None else "") for e in installed()}
        rows = [(name, versions.get(name, ""), "on", "") for name in sorted(services.plugins.active)]
        rows += [(name, versions.get(name, ""), "off", why) for name, why in sorted(services.plugins.off.items())]
    finally:
        services.close()
    if not rows:
        print("No platform plugins are installed (pip install haven-slack, haven-discourse or haven-reddit).")
        return 0
    header = ("PLUGIN", "VERSION", "STATE", "WHY OFF")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in sorted([header, *rows], key=lambda r: (r is not header, r[0])):
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3], sep="  ")
    if any(state == "off" for _, _, state, _ in rows):
        print(f"\nTo turn a plugin on, {HOW_TO_TURN_ON}.")
    return 0


def run_consumers(services: Services, name: str) -> int:
    """`haven plugins NAME run`: the plugin's consumers in this process, until SIGTERM or
    Ctrl-C. With Redis, any number of these and of `haven worker` run each consumer once."""
    from haven.plugins.consumers import supervise

    if services.settings.embedded:
        print("haven: running embedded, `haven serve` runs the plugins' consumers itself", file=sys.stderr)
        return 2
    if not services.plugins.active[name].consumers():
        print(f"haven: plugin {name} has no long-running consumer to run", file=sys.stderr)
        return 2
    from haven.logging import configure_logging

    configure_logging(services.settings.log.level)  # a long-running process: JSON logs like the others
    supervisor = supervise(services, name)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: supervisor.request_stop())
    supervisor.wait()
    supervisor.stop()
    return 0


def run_plugin_command(args: argparse.Namespace) -> int:
    from haven.cli.main import Handler
    from haven.services import build_services

    rest: list[str] = args.rest
    with _quiet_plugin_logs():
        services = build_services(load_settings())
    try:
        plugin = services.plugins.active.get(args.plugin)
        if plugin is None:
            reason = services.plugins.off.get(args.plugin, "not installed")
            asked_for_help = not rest or rest[0] in ("-h", "--help")
            print(
                f"haven plugins {args.plugin}: the plugin is off ({reason}); its commands are listed "
                f"once it is on: set its HAVEN_{args.plugin.upper()}_* variables (docs/plugins.md).",
                file=sys.stdout if asked_for_help and rest else sys.stderr,
            )
            return 0 if asked_for_help and rest else 2
        parser = argparse.ArgumentParser(prog=f"haven plugins {args.plugin}", description=args.plugin_summary)
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        # Haven's own command for every plugin; a plugin cannot register another `run`.
        run = commands.add_parser(
            "run",
            help="run this plugin's long-running consumers here until stopped",
            description="Runs the plugin's long-running consumers (a platform's socket or stream) in this "
            "process until SIGTERM or Ctrl-C, restarting each with back-off; with Redis, one process of all "
            "these and the workers runs each consumer (docs/plugins.md).",
        )
        run.set_defaults(handler=lambda _: run_consumers(services, args.plugin))
        plugin.register_commands(commands)
        describe_subcommands(parser)
        parsed = parser.parse_args(rest)
        handler: Handler = parsed.handler
        return handler(parsed)
    finally:
        services.close()
