"""Renders the chart once per test session for every case in CASES.

Rendering runs Helm's own engine (helm-sdkpy) under the chart tools' interpreter (see
toolchain.py); the result is cached under .venv/chart-tools/renders by the hash of
everything it depends on, so pytest-xdist's workers and later runs share one render.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helm import toolchain

CHART = toolchain.REPO / "helm" / "haven"

EXTERNAL = {
    "redis": {"url": "redis://:pw@redis.example.internal:6379/0", "bundled": {"enabled": False}},
    "postgresql": {
        "url": "postgresql://haven:pw@db.example.internal:5432/haven",
        "bundled": {"enabled": False},
    },
}
POLICY_FILES = {
    "crisis.yaml": "id: crisis\nrules: []\n",
    "templates/crisis-resources.md": "Call or text 988.\n",
}


def policy_files(root: Path) -> dict[str, str]:
    """`policies.files` for a policy folder, as docs/operations.md shows operators."""
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not any(part.startswith(".") for part in path.parts)
        # Learned models stay in the image (a ConfigMap holds 1 MiB of text); a pack without
        # models/ uses Haven's own.
        and path.relative_to(root).parts[0] != "models"
        and path.suffix != ".py"
    }


REPO_POLICIES = policy_files(toolchain.REPO / "policies")
EXAMPLES = toolchain.REPO / "helm" / "examples"
INGRESS_NAMESPACE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}
MONITORING_NAMESPACE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}

# name: values given to the install (over values.yaml).
CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "external": EXTERNAL,
    "state-redis-cluster": {
        **EXTERNAL,
        "redis": {
            **EXTERNAL["redis"],
            "state": {"url": "redis://:pw@state.example.internal:7000/0", "cluster": True},
        },
    },
    "behind-pgbouncer": {**EXTERNAL, "postgresql": {**EXTERNAL["postgresql"], "preparedStatements": False}},
    "existing-secrets": {
        "redis": {
            "existingSecret": "haven-redis",
            "bundled": {"enabled": False},
            "state": {"existingSecret": "haven-state-redis"},
        },
        "postgresql": {"existingSecret": "haven-db", "bundled": {"enabled": False}},
        "secrets": {"existingSecret": "haven-credentials"},
    },
    "everything-on": {
        **EXTERNAL,
        "image": {"digest": "sha256:" + "a" * 64},
        "imagePullSecrets": [{"name": "registry"}],
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/h"}},
        "podLabels": {"team": "trust-and-safety"},
        "podAnnotations": {"example.org/owner": "moderation"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "haven"}],
        "affinity": {"podAntiAffinity": {}},
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"},
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "haven"}},
            },
        ],
        "config": {"env": {"HAVEN_WEBHOOK_MAX_ATTEMPTS": 10}},
        "secrets": {"values": {"HAVEN_SLACK_BOT_TOKEN": "xoxb-test"}},
        "policies": {"files": POLICY_FILES},
        "api": {
            "service": {"annotations": {"example.org/lb": "internal"}},
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "annotations": {"example.org/x": "y"},
                "tls": [{"hosts": ["haven.example.org"], "secretName": "haven-tls"}],
            },
        },
        "workers": {"crisis": {"concurrency": 8, "priorityClassName": "haven-crisis"}},
        "keda": {
            "enabled": True,
            "redis": {
                "address": "redis.example.internal:6379",
                "passwordSecret": {"name": "haven-redis-auth", "key": "password"},
            },
        },
        "metrics": {
            "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
            "prometheusRule": {"enabled": True, "labels": {"release": "prometheus"}},
            "grafanaDashboard": {"enabled": True, "folder": "Haven", "labels": {"release": "prometheus"}},
        },
        "networkPolicy": {
            "enabled": True,
            "apiFrom": [INGRESS_NAMESPACE],
            "metricsFrom": [MONITORING_NAMESPACE],
        },
    },
    "bundled-keda-persistent": {
        "keda": {"enabled": True},
        "metrics": {"serviceMonitor": {"enabled": True}},
        "networkPolicy": {"enabled": True},
        "redis": {"bundled": {"persistence": {"enabled": True, "storageClass": "fast"}}},
        "postgresql": {"bundled": {"persistence": {"storageClass": "fast"}}},
    },
    "existing-policies": {**EXTERNAL, "policies": {"existingConfigMap": "my-policies"}},
    "minimal": {
        **EXTERNAL,
        "serviceAccount": {"create": False, "name": "haven-sa"},
        "api": {"autoscaling": {"enabled": False}, "podDisruptionBudget": {"enabled": False}},
        "workers": {"default": {"enabled": False}},
        "scheduler": {"enabled": False},
        "migrations": {"enabled": False},
    },
    "single-replicas": {
        **EXTERNAL,
        "metrics": {"prometheusRule": {"enabled": True}},
        "api": {"autoscaling": {"enabled": False}, "replicas": 1},
        "workers": {"crisis": {"replicas": 1}, "default": {"replicas": 1}},
    },
    # A second render of everything-on with one policy file changed.
    "policies-changed": {
        **EXTERNAL,
        "policies": {"files": {**POLICY_FILES, "crisis.yaml": "id: crisis\nrules: [x]\n"}},
    },
    "policies-same": {**EXTERNAL, "policies": {"files": POLICY_FILES}},
    # The repository's own pack, folders and all, with hot reload instead of roll-outs.
    "policies-pack-no-roll": {
        **EXTERNAL,
        "policies": {"files": REPO_POLICIES, "rollOnChange": False},
    },
    # The examples operators start from.
    **{f"example-{path.stem}": yaml.safe_load(path.read_text()) for path in sorted(EXAMPLES.glob("*.yaml"))},
    # Values Helm must refuse.
    "refuse-two-redis": {"redis": {"url": "redis://elsewhere:6379/0"}},
    "refuse-no-database": {"postgresql": {"bundled": {"enabled": False}}},
    "refuse-zero-crisis-workers": {"workers": {"crisis": {"replicas": 0}}},
    "refuse-typo": {"api": {"replica": 3}},
    "refuse-keda-without-address": {**EXTERNAL, "keda": {"enabled": True}},
    "refuse-bad-redis-url": {"redis": {"url": "http://redis:6379", "bundled": {"enabled": False}}},
    "refuse-cluster-broker": {"redis": {"state": {"cluster": True}}},
    "refuse-two-state-redis": {"redis": {"state": {"url": "redis://s:6379/0", "existingSecret": "s"}}},
    "refuse-url-unsafe-password": {"postgresql": {"bundled": {"password": "p@ss/word"}}},
}


# name: [values of the install, values of each upgrade after it].
UPGRADES: dict[str, list[dict[str, Any]]] = {
    # Generated passwords must survive upgrades: the bundled PostgreSQL keeps the first.
    "bundled-same-values": [{}, {}],
    "external-to-more-workers": [EXTERNAL, {**EXTERNAL, "workers": {"default": {"replicas": 5}}}],
}


def _fingerprint() -> str:
    digest = hashlib.sha256(json.dumps([CASES, UPGRADES], sort_keys=True).encode())
    here = Path(__file__).parent
    inputs = [*CHART.rglob("*"), here / "render.py", here / "fake_apiserver.py"]
    for path in sorted([*inputs, *here.glob("crd-schemas/*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(toolchain.REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def render_all() -> dict[str, Any]:
    python = toolchain.ensure()
    cache = toolchain.VENV / "renders" / f"{_fingerprint()}.json"
    with toolchain._locked(toolchain.VENV.parent / "chart-renders.lock"):
        if cache.exists():
            cached: dict[str, Any] = json.loads(cache.read_text())
            return cached
        done = subprocess.run(
            [str(python), str(Path(__file__).parent / "render.py")],
            input=json.dumps({"chart": str(CHART), "cases": CASES, "upgrades": UPGRADES}),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"render.py failed:\n{done.stderr[-4000:]}")
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(done.stdout)
        results: dict[str, Any] = json.loads(done.stdout)
        return results


@pytest.fixture(scope="session")
def rendered() -> dict[str, Any]:
    try:
        return render_all()
    except toolchain.NoPython312 as exc:
        pytest.skip(str(exc))
