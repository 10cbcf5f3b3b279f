"""The command line is learnable from --help alone: a version, and a description on every
command and subcommand."""

from __future__ import annotations

import argparse
from importlib.metadata import version

import pytest
from haven.cli.main import build_parser, main


def subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*path, name), sub))
                found.extend(subcommands(sub, (*path, name)))
    return found


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"haven {version('haven')}\n"


def test_every_command_has_a_description() -> None:
    parser = build_parser()
    assert parser.description and "HAVEN_" in parser.description
    found = subcommands(parser)
    assert {path for path, _ in found} >= {
        ("serve",),
        ("worker",),
        ("migrate",),
        ("keys", "create"),
        ("plugins", "reddit"),
    }
    for path, sub in found:
        assert sub.description, f"haven {' '.join(path)} --help has no description"
        assert sub.format_help().count("\n\n") >= 1


def test_unknown_arguments_are_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--nope"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err
