"""Entry point of the `haven` command: each command module adds its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Protocol

from haven.cli.descriptions import describe_subcommands


class CommandModule(Protocol):
    def register(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


# Each module defines `register(commands)` and sets `handler` defaults on its parsers.
COMMAND_MODULES: tuple[str, ...] = (
    "haven.cli.policy_commands",
    "haven.cli.service_commands",
    "haven.cli.key_commands",
    "haven.cli.plugin_commands",
    "haven.cli.model_commands",
)

Handler = Callable[[argparse.Namespace], int]


DESCRIPTION = (
    "Moderation as a service for online support communities: the API, its workers, the policy "
    "tools and the platform plugins. Every command reads its settings from HAVEN_* environment "
    "variables (docs/operations.md); `haven COMMAND --help` says more about each."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haven", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('haven')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module: CommandModule = importlib.import_module(name)
        module.register(commands)
    describe_subcommands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(arguments)
    if getattr(args, "takes_rest", False):
        # `haven plugins NAME ...`: everything after the name, --help included, is the plugin's.
        start = arguments.index(args.plugin, arguments.index("plugins") + 1) + 1
        args.rest = arguments[start:]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    handler: Handler = args.handler
    try:
        return handler(args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BrokenPipeError:
        # `haven backtest … | head`: the reader has all it wanted. Point stdout at nothing so
        # that Python's exit flush does not complain a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        from haven.cli.startup_failures import describe

        message = describe(exc)
        if message is None:
            raise
        print(f"haven: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
