"""values.yaml and values.schema.json: every value is read, every key described."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.helm.conftest import CHART


def _leaves(tree: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(tree, dict) and tree:
        return [leaf for key, value in tree.items() for leaf in _leaves(value, (*path, key))]
    return [path]


REF = r"(?:\$?\.Values|\$[A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)*"


def _template_reads(text: str) -> tuple[set[str], set[str]]:
    """The value paths templates read, and those they read whole (toYaml, with, range).

    Variables are resolved: `$api := .Values.api` makes `$api.port` read `.api.port`, and
    `range $class, $w := .Values.workers` makes `$w.queues` read `.workers.*.queues`.
    """
    variables: dict[str, list[str]] = {}
    for var, ref in re.findall(r"(\$\w+) := (" + REF + ")", text):
        variables.setdefault(var, []).extend(_resolve(ref, variables))
    for var, ref in re.findall(r"range \$\w+, (\$\w+) := (" + REF + ")", text):
        variables[var] = [f"{path}.*" for path in _resolve(ref, variables)]
    reads: set[str] = set()
    for ref in re.findall(REF, text):
        reads.update(_resolve(ref, variables))
    whole: set[str] = set()
    for ref in re.findall(r"(?:toYaml|with) (" + REF + ")", text):
        whole.update(_resolve(ref, variables))
    # A range over a map reads all of it, unless it reads fields of each entry ($w.queues).
    for var, ref in re.findall(r"range \$\w+, (\$\w+) := (" + REF + ")", text):
        if f"{var}." not in text:
            whole.update(_resolve(ref, variables))
    return reads, whole


def _resolve(ref: str, variables: dict[str, list[str]]) -> list[str]:
    head, _, tail = ref.partition(".Values") if ".Values" in ref else ref.partition(".")
    if ".Values" in ref:
        return [tail]
    tail = f".{tail}" if tail else ""
    return [f"{base}{tail}" for base in variables.get(head, [])]


def _matches(pattern: str, path: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", r"[^.]+"), path) is not None


def test_every_value_is_used_by_a_template() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    reads: set[str] = set()
    whole: set[str] = set()
    templates = [p for p in (CHART / "templates").rglob("*") if p.is_file()]
    for template in templates:  # variables are local to a file
        file_reads, file_whole = _template_reads(template.read_text())
        reads |= file_reads
        whole |= file_whole
    unused = []
    for leaf in _leaves(values):
        dotted = "." + ".".join(leaf)
        prefixes = ["." + ".".join(leaf[:i]) for i in range(1, len(leaf))]
        if any(_matches(r, dotted) for r in reads):
            continue
        if any(_matches(w, p) for w in whole for p in prefixes):
            continue
        unused.append(dotted)
    assert unused == []


def test_the_unused_value_check_can_fail() -> None:
    reads, whole = _template_reads("{{ .Values.a.b }} {{ toYaml .Values.c }} {{ $x := .Values.d }}{{ $x.e }}")
    assert reads == {".a.b", ".c", ".d", ".d.e"}
    assert whole == {".c"}


def test_values_schema_describes_every_top_level_value() -> None:
    import json

    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert schema["additionalProperties"] is False
    assert set(values) <= set(schema["properties"])


def test_every_top_level_value_is_described_in_the_schema() -> None:
    import json

    schema = json.loads((CHART / "values.schema.json").read_text())
    undescribed = [k for k, v in schema["properties"].items() if not v.get("description")]
    assert undescribed == []
