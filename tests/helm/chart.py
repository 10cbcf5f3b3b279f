"""Reading the rendered chart: the objects of a case, by kind and name, and their parts."""

from __future__ import annotations

from typing import Any

from tests.helm.conftest import CASES

GOOD = [name for name in CASES if not name.startswith("refuse-")]
RECOMMENDED_LABELS = (
    "helm.sh/chart",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
)
POD_KINDS = ("Deployment", "StatefulSet", "Job")


def objects(rendered: dict[str, Any], case: str, kind: str | None = None) -> list[dict[str, Any]]:
    result = rendered[case]
    assert result["error"] is None, result["error"]
    return [o for o in result["objects"] if kind is None or o["kind"] == kind]


def one(rendered: dict[str, Any], case: str, kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects(rendered, case, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name} in {case}: {len(found)} found"
    return found[0]


def kinds(rendered: dict[str, Any], case: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in objects(rendered, case):
        counts[o["kind"]] = counts.get(o["kind"], 0) + 1
    return counts


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def pod_labels(rendered: dict[str, Any], case: str) -> dict[str, dict[str, str]]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
        for o in objects(rendered, case)
        if o["kind"] in POD_KINDS
    }


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True
