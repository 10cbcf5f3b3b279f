"""Files that would stall or crash a loader (recursive aliases, alias bombs, deep nesting,
huge numbers, huge values, huge files) are ordinary file:line:column errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from haven.policy import PolicyLoadError, load_policy_set

from .conftest import write_set

RULE = """\
id: p
description: d
mode: enforce
rules:
  - id: r
    category: community.hostility
    severity: low
    match:
      phrases: [{phrase}]
    actions: [hold]
"""


def errors_of(tmp_path: Path, policy: str) -> list[str]:
    root = write_set(tmp_path / "set", {})
    (root / "bad.yaml").write_text(policy)
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    return [str(e).split("/set/", 1)[1] for e in caught.value.errors]


def test_a_recursive_alias(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "id: p\nrules: &loop\n  - *loop\n") == [
        "bad.yaml:2:8: a recursive alias: an anchor is used inside itself"
    ]


def test_an_alias_bomb_stops_at_the_expansion_limit(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    [error] = errors_of(tmp_path, "\n".join(lines) + "\n")
    assert error.startswith("bad.yaml:") and "aliases expand to more than 100000 values" in error


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id: " + "[" * 10_000 + "]" * 10_000 + "\n", "bad.yaml:1:68"),
        # As deep as fits under the size limit (indentation grows with depth).
        ("".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n", "bad.yaml:65:65"),
        ("id: p\nrules:\n" + "".join(f"{'  ' * i}- any:\n" for i in range(600)) + "  " * 600 + "- x\n", "bad.yaml:"),
    ],
    ids=["flow", "block", "any"],
)
def test_nesting_deeper_than_the_limit(tmp_path: Path, text: str, where: str) -> None:
    [error] = errors_of(tmp_path, text)
    assert error.startswith(where) and error.endswith("nested more than 64 levels deep"), error


def test_a_number_of_thousands_of_digits(tmp_path: Path) -> None:
    text = RULE.format(phrase="idiot").replace("severity: low", "severity: low\n    weight: " + "9" * 5000)
    assert errors_of(tmp_path, text) == ["bad.yaml:8:13: a number of more than 30 digits"]


def test_a_phrase_of_a_million_characters(tmp_path: Path) -> None:
    assert errors_of(tmp_path, RULE.format(phrase="x" * 1_000_000)) == [
        "bad.yaml:9:17: a value of more than 10000 characters"
    ]


def test_a_file_over_a_megabyte(tmp_path: Path) -> None:
    text = RULE.format(phrase="idiot") + "".join(f"# {'x' * 100}\n" for i in range(11_000))
    [error] = errors_of(tmp_path, text)
    assert error.startswith("bad.yaml:1:1: the file is ") and error.endswith("bytes, more than 1048576")
