"""`haven plugins`: list the installed plugins, and `haven plugins <name> ...`, each plugin's own commands.

A plugin's commands are known only once it is started (its credentials read),
so `haven plugins <name>` starts the services and hands the rest of the command
line to the parser the plugin fills with `register_commands`.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from haven.cli.settings_loading import load_settings
from haven.plugins.registry import ENTRY_POINT_GROUP


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plugins = commands.add_parser("plugins", help="installed platform plugins and their commands")
    plugins.set_defaults(handler=run_list)
    names = plugins.add_subparsers(dest="plugin", metavar="PLUGIN")
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        one = names.add_parser(entry.name, help=f"commands of the {entry.name} plugin", add_help=False)
        one.add_argument("rest", nargs=argparse.REMAINDER)
        one.set_defaults(handler=run_plugin_command)


def run_list(args: argparse.Namespace) -> int:
    from haven.services import build_services

    services = build_services(load_settings())
    try:
        for name in sorted(services.plugins.active):
            print(f"{name}\ton")
        for name, reason in sorted(services.plugins.off.items()):
            print(f"{name}\toff: {reason}")
    finally:
        services.close()
    return 0


def run_plugin_command(args: argparse.Namespace) -> int:
    from haven.cli.main import Handler
    from haven.services import build_services

    services = build_services(load_settings())
    try:
        plugin = services.plugins.active.get(args.plugin)
        if plugin is None:
            reason = services.plugins.off.get(args.plugin, "not installed")
            print(f"haven: plugin {args.plugin} is off: {reason}", file=sys.stderr)
            return 2
        parser = argparse.ArgumentParser(prog=f"haven plugins {args.plugin}")
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        plugin.register_commands(commands)
        parsed = parser.parse_args(args.rest)
        handler: Handler = parsed.handler
        return handler(parsed)
    finally:
        services.close()
