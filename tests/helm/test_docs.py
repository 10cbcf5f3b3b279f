"""docs/operations.md's Kubernetes section agrees with the chart it describes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.helm.conftest import CHART, policy_files
from tests.helm.toolchain import REPO

MARKER = "<!-- kubernetes -->"


def kubernetes_section() -> str:
    text = (REPO / "docs" / "operations.md").read_text()
    assert MARKER in text
    return text.split(MARKER, 1)[1]


def test_every_alert_is_explained(rendered: dict[str, Any]) -> None:
    alerts = {a["alert"] for a in rendered["everything-on"]["promql"]}
    table = kubernetes_section().split("#### What each alert means", 1)[1]
    missing = sorted(alert for alert in alerts if f"`{alert}`" not in table)
    assert missing == []


def test_every_value_the_docs_name_exists() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    named = set(re.findall(r"`([a-z][A-Za-z]*(?:\.[A-Za-z<>]+)+)[`: ]", kubernetes_section()))
    checked = 0
    for path in sorted(named):
        keys = path.split(".")
        if keys[0] not in values or "<" in path:
            continue
        node: Any = values
        for key in keys:
            assert isinstance(node, dict), f"docs name {path}, values.yaml has no such key"
            assert key in node, f"docs name {path}, values.yaml has no such key"
            node = node[key]
        checked += 1
    assert checked >= 20


def test_the_documented_policy_values_command_makes_the_files_map(tmp_path: Path) -> None:
    (line,) = [ln.strip() for ln in kubernetes_section().splitlines() if ln.strip().startswith("python3 -c '")]
    code = line.split("'")[1]
    assert line.endswith("' policies > policy-values.yaml")
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "policies")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout) == {"policies": {"files": policy_files(REPO / "policies")}}


def test_every_chart_file_the_docs_cite_exists() -> None:
    cited = set(re.findall(r"`((?:helm|tests/helm)/[\w./-]+)`", kubernetes_section()))
    assert "helm/examples/production.yaml" in cited
    missing = sorted(path for path in cited if not (REPO / path).exists())
    assert missing == []
