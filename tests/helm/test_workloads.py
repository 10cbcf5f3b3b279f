"""Every workload: recommended labels, selectors, non-root read-only pods, the agreed
commands and probes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.chart import (
    GOOD,
    POD_KINDS,
    RECOMMENDED_LABELS,
    objects,
    one,
    pod_spec,
)


@pytest.mark.parametrize("case", GOOD)
def test_recommended_labels_everywhere(rendered: dict[str, Any], case: str) -> None:
    for obj in objects(rendered, case):
        labels = obj["metadata"].get("labels", {})
        missing = [key for key in RECOMMENDED_LABELS if key not in labels]
        assert missing == [], f"{obj['kind']}/{obj['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/instance"] == "rel"


@pytest.mark.parametrize("case", GOOD)
def test_selectors_match_their_pod_templates(rendered: dict[str, Any], case: str) -> None:
    for obj in objects(rendered, case):
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        selector = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        assert "app.kubernetes.io/component" in selector
    workloads = [o for o in objects(rendered, case) if o["kind"] in ("Deployment", "StatefulSet")]
    selectors = [tuple(sorted(o["spec"]["selector"]["matchLabels"].items())) for o in workloads]
    assert len(set(selectors)) == len(selectors), "two workloads select the same pods"


@pytest.mark.parametrize("case", GOOD)
def test_services_and_pdbs_select_existing_pods(rendered: dict[str, Any], case: str) -> None:
    pod_labels = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in objects(rendered, case)
        if o["kind"] in ("Deployment", "StatefulSet")
    ]
    for obj in objects(rendered, case):
        if obj["kind"] == "Service":
            selector = obj["spec"]["selector"]
        elif obj["kind"] == "PodDisruptionBudget":
            selector = obj["spec"]["selector"]["matchLabels"]
        else:
            continue
        matched = [labels for labels in pod_labels if selector.items() <= labels.items()]
        assert len(matched) == 1, f"{obj['kind']}/{obj['metadata']['name']} selects {len(matched)}"


@pytest.mark.parametrize("case", GOOD)
def test_pods_are_non_root_with_read_only_root(rendered: dict[str, Any], case: str) -> None:
    for obj in objects(rendered, case):
        if obj["kind"] not in POD_KINDS:
            continue
        spec = pod_spec(obj)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert isinstance(spec["securityContext"]["runAsUser"], int)
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["automountServiceAccountToken"] is False
        assert spec["enableServiceLinks"] is False
        mounts = set()
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            mounts |= {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{obj['metadata']['name']} has no writable /tmp"


def test_haven_containers_probe_and_run_the_agreed_commands(rendered: dict[str, Any]) -> None:
    api = one(rendered, "defaults", "Deployment", "rel-haven-api")
    container = pod_spec(api)["containers"][0]
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}
    for queue in ("crisis", "default"):
        worker = one(rendered, "defaults", "Deployment", f"rel-haven-worker-{queue}")
        container = pod_spec(worker)["containers"][0]
        processes, concurrency = {"crisis": ("1", "2"), "default": ("2", "4")}[queue]
        assert container["args"] == [
            "worker", "--queues", queue, "--processes", processes, "--concurrency", concurrency,
        ]  # fmt: skip
        assert container["livenessProbe"]["exec"]["command"] == [
            "haven",
            "health",
            "worker",
            "--max-age",
            "60",
        ]
        assert "celery" not in str(container["livenessProbe"])
        assert "readinessProbe" not in container
    scheduler = one(rendered, "defaults", "Deployment", "rel-haven-scheduler")
    assert pod_spec(scheduler)["containers"][0]["args"] == ["scheduler"]
    assert pod_spec(scheduler)["containers"][0]["livenessProbe"]["exec"]["command"] == [
        "haven",
        "health",
        "scheduler",
        "--max-age",
        "60",
    ]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}


def test_settings_reach_every_haven_container(rendered: dict[str, Any]) -> None:
    config = one(rendered, "everything-on", "ConfigMap", "rel-haven-config")["data"]
    assert config["HAVEN_HOST"] == "0.0.0.0"
    assert config["HAVEN_PORT"] == "8000"
    assert config["HAVEN_LOG_LEVEL"] == "INFO"
    assert config["HAVEN_MAX_BODY_BYTES"] == "1048576"
    assert config["HAVEN_WORKER_HEARTBEAT_FILE"].startswith("/tmp/")
    assert config["HAVEN_POLICY_DIR"] == "/etc/haven/policies"
    assert config["HAVEN_WEBHOOK_MAX_ATTEMPTS"] == "10"
    for obj in objects(rendered, "everything-on", "Deployment"):
        container = pod_spec(obj)["containers"][0]
        refs = [next(iter(e.values()))["name"] for e in container["envFrom"]]
        assert refs == ["rel-haven-config", "rel-haven-secrets"]
        assert container["image"] == "haven@sha256:" + "a" * 64
