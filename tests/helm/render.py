"""Renders the chart for each case with Helm's own engine and validates every object.

Runs under the chart-tools interpreter (Python 3.12+, tests/helm/requirements.txt), not
the project's: helm-sdkpy needs 3.12. Reads a JSON request {"chart": dir, "cases": {name:
values}, "upgrades": {name: [values, ...]}} on stdin and writes {name: result, "upgrades":
{name: [result of the install, result of each upgrade]}, "package": what `helm package`
made} as JSON on stdout, where a
result has:

  lint       Helm's lint of the chart with the case's values (messages and errors)
  error      the install's error, or null
  objects    every object Helm rendered, hooks included
  created    "Kind/name" of the objects Helm created on the API server
  revision   the release's revision
  hooks      "Kind/name" of the hook objects and their hook annotation
  notes      NOTES.txt as rendered
  calls      the writes Helm made to the API server, in order ("POST /api/v1/...")
  invalid    objects that fail the Kubernetes schemas, strict, of the chart's oldest
             supported version and the newest kubernetes-validate knows (CRDs: crd-schemas/)

helm-sdkpy has no `helm template`; its install action renders the chart and sends the
objects to an API server, here fake_apiserver's double on loopback.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import os
import shutil
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import promql_parser
import yaml

os.environ.setdefault("HELM_DRIVER", "memory")
import helm_sdkpy

sys.path.insert(0, str(Path(__file__).parent))
from fake_apiserver import FakeApiServer

# kubernetes-validate reads the (large) schema files again for every object: read each once.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(  # type: ignore[assignment]
    kubernetes_validate.utils.schema_contents
)

NEWEST_KUBERNETES = kubernetes_validate.utils.latest_version()
NAMESPACE = "haven-test"
RELEASE = "rel"
CRD_SCHEMAS = Path(__file__).parent / "crd-schemas"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def lint(chart: Path, values: dict[str, Any], config: helm_sdkpy.Configuration) -> dict[str, Any]:
    """Helm lint reads the chart's own values.yaml: lint a copy holding the case's values."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = Path(tmp) / chart.name
        shutil.copytree(chart, copy_dir)
        defaults = yaml.safe_load((chart / "values.yaml").read_text()) or {}
        merged = deep_merge(defaults, values)
        # As JSON (which is YAML): PyYAML leaves strings such as `y` bare, which Helm's
        # YAML 1.1 parser reads as booleans.
        (copy_dir / "values.yaml").write_text(json.dumps(merged, indent=1))
        try:
            result = asyncio.run(helm_sdkpy.Lint(config).run(str(copy_dir)))
        except helm_sdkpy.HelmError as exc:
            return {"failed": str(exc), "messages": []}
    messages = [
        {"severity": m.get("Severity"), "path": m.get("Path"), "error": str(m.get("Err"))}
        for m in result.get("Messages") or []
    ]
    return {"failed": None, "messages": messages, "errors": result.get("Errors")}


def crd_schema(kind: str) -> dict[str, Any] | None:
    path = CRD_SCHEMAS / f"{kind.lower()}.json"
    return json.loads(path.read_text()) if path.exists() else None


def oldest_kubernetes(chart: Path) -> str:
    """The floor of the chart's kubeVersion (">=1.25.0-0" gives "1.25")."""
    constraint = yaml.safe_load((chart / "Chart.yaml").read_text())["kubeVersion"]
    major, minor = constraint.lstrip(">=~^ ").split(".")[:2]
    return f"{major}.{minor}"


def validate(obj: dict[str, Any], versions: tuple[str, ...]) -> str | None:
    """None when the object is valid for every Kubernetes version given, else why not."""
    schema = crd_schema(obj.get("kind", ""))
    try:
        if schema is not None:
            jsonschema.Draft7Validator(schema).validate(obj)
        else:
            for version in versions:
                kubernetes_validate.validate(obj, version, strict=True)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        version = getattr(exc, "version", "CRD schema")
        return f"{where}: {exc.message} (Kubernetes {version})"
    except kubernetes_validate.SchemaNotFoundError as exc:
        return exc.message
    return None


def selectors(expr: Any) -> list[Any]:
    """Every vector selector of a parsed PromQL expression."""
    if isinstance(expr, promql_parser.VectorSelector):
        return [expr]
    if isinstance(expr, promql_parser.MatrixSelector):
        return [expr.vector_selector]
    children: list[Any] = []
    for attribute in ("lhs", "rhs", "expr", "param"):
        children.append(getattr(expr, attribute, None))
    children.extend(getattr(expr, "args", None) or [])
    return [s for child in children if child is not None for s in selectors(child)]


def parsed_promql(expr: str) -> dict[str, Any]:
    """An expression parsed by Prometheus's grammar: the parse error, or the metric and label
    matchers of each selector it reads."""
    try:
        parsed = promql_parser.parse(expr)
    except ValueError as exc:
        return {"error": str(exc), "selectors": []}
    found = [
        {
            "metric": vs.name,
            "matchers": [[m.name, str(m.op).rsplit(".", 1)[-1], m.value] for m in vs.matchers.matchers],
        }
        for vs in selectors(parsed)
    ]
    return {"error": None, "selectors": found}


def promql(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each alert (name, labels) with its expression parsed (`parsed_promql`)."""
    out: list[dict[str, Any]] = []
    for obj in objects:
        if obj["kind"] != "PrometheusRule":
            continue
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                alert = {"alert": rule["alert"], "labels": rule.get("labels", {})}
                out.append({**alert, **parsed_promql(rule["expr"])})
    return out


# Grafana's own variables in a query, replaced as Grafana does before Prometheus sees it.
GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "30s", "$__range": "6h"}


def dashboard_queries(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each query of each Grafana dashboard a ConfigMap carries (panel title, query parsed)."""
    out: list[dict[str, Any]] = []
    for obj in objects:
        if obj["kind"] != "ConfigMap":
            continue
        for key, text in (obj.get("data") or {}).items():
            if not key.endswith(".json"):
                continue
            for panel in json.loads(text).get("panels", []):
                for target in panel.get("targets", []):
                    expr = target["expr"]
                    for macro, value in GRAFANA_MACROS.items():
                        expr = expr.replace(macro, value)
                    out.append({"panel": panel["title"], "expr": target["expr"], **parsed_promql(expr)})
    return out


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def describe(release: dict[str, Any], chart: Path) -> dict[str, Any]:
    """What one install or upgrade rendered: objects (hooks included), hooks, notes, and
    the objects that fail validation."""
    objects = documents(release.get("manifest", ""))
    hooks = []
    for hook in release.get("hooks") or []:
        for doc in documents(hook.get("manifest", "")):
            objects.append(doc)
            annotations = doc["metadata"].get("annotations", {})
            hooks.append(
                {
                    "object": f"{doc['kind']}/{doc['metadata']['name']}",
                    "hook": annotations.get("helm.sh/hook"),
                    "weight": annotations.get("helm.sh/hook-weight"),
                }
            )
    versions = (oldest_kubernetes(chart), NEWEST_KUBERNETES)
    invalid = []
    for obj in objects:
        problem = validate(obj, versions)
        if problem:
            name = f"{obj.get('kind')}/{obj['metadata'].get('name')}"
            invalid.append({"object": name, "error": problem})
    return {
        "objects": objects,
        "hooks": hooks,
        "notes": (release.get("info") or {}).get("notes", ""),
        "revision": release.get("version"),
        "invalid": invalid,
        "validated_against": list(versions),
        "promql": promql(objects),
        "dashboards": dashboard_queries(objects),
    }


def render(chart: Path, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Installs the chart with the first values, then upgrades it with each next one,
    all against one API double; one result per step."""
    results: list[dict[str, Any]] = []
    with FakeApiServer() as api:
        config = helm_sdkpy.Configuration(namespace=NAMESPACE, kubeconfig=api.kubeconfig())
        for step, values in enumerate(steps):
            seen = len(api.store.requests)
            created_before = len(api.store.created)
            out: dict[str, Any] = {"lint": lint(chart, values, config), "error": None}
            try:
                if step == 0:
                    action = helm_sdkpy.Install(config).run(
                        RELEASE, str(chart), values=values or None, wait=False, timeout=60
                    )
                else:
                    action = helm_sdkpy.Upgrade(config).run(
                        RELEASE, str(chart), values=values or None, wait=False, timeout=60
                    )
                release = asyncio.run(action)
            except helm_sdkpy.HelmError as exc:
                out.update(error=str(exc), objects=[], hooks=[], notes="", invalid=[])
                results.append(out)
                break
            out.update(describe(release, chart))
            out["created"] = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in api.store.created[created_before:])
            # What Helm asked of the cluster, in order, without discovery and reads.
            out["calls"] = [r.split("?", 1)[0] for r in api.store.requests[seen:] if not r.startswith("GET ")]
            results.append(out)
    return results


def package(chart: Path) -> dict[str, Any]:
    """`helm package`: the archive's name and the files in it."""
    config = helm_sdkpy.Configuration(namespace=NAMESPACE)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            archive = asyncio.run(helm_sdkpy.Package(config).run(str(chart), dest_dir=tmp))
        except helm_sdkpy.HelmError as exc:
            return {"error": str(exc), "archive": None, "files": []}
        with tarfile.open(archive) as tar:
            files = sorted(m.name for m in tar.getmembers() if m.isfile())
    return {"error": None, "archive": Path(archive).name, "files": files}


def main() -> int:
    request = json.load(sys.stdin)
    chart = Path(request["chart"]).resolve()
    # Each case has its own API double and Helm configuration; Helm's library runs them
    # side by side (the calls release the GIL).
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(render, chart, [values]) for name, values in request["cases"].items()}
        upgrades = {name: pool.submit(render, chart, steps) for name, steps in request.get("upgrades", {}).items()}
        results: dict[str, Any] = {name: future.result()[0] for name, future in futures.items()}
        results["upgrades"] = {name: future.result() for name, future in upgrades.items()}
    results["package"] = package(chart)
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
