"""Every subcommand's `--help` says what it does: the line its parent lists it with becomes its
description when it has none of its own (plugins' commands included)."""

from __future__ import annotations

import argparse


def describe_subcommands(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        listed = {choice.dest: choice.help for choice in action._choices_actions}
        for name, subcommand in action.choices.items():
            line = listed.get(name)
            if subcommand.description is None and line:
                subcommand.description = line[0].upper() + line[1:] + ("" if line.endswith(".") else ".")
            describe_subcommands(subcommand)
