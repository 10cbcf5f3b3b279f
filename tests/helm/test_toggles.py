"""The optional objects: each toggle adds its objects and removes them again."""

from __future__ import annotations

from typing import Any

from tests.helm.chart import (
    kinds,
    objects,
    one,
    pod_labels,
    pod_spec,
    selects,
)
from tests.helm.conftest import INGRESS_NAMESPACE, MONITORING_NAMESPACE


def test_optional_objects_are_off_by_default(rendered: dict[str, Any]) -> None:
    present = kinds(rendered, "defaults")
    for kind in ("ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication", "Ingress"):
        assert kind not in present


def test_everything_on_adds_the_optional_objects(rendered: dict[str, Any]) -> None:
    present = kinds(rendered, "everything-on")
    assert present["ServiceMonitor"] == 1
    assert present["PrometheusRule"] == 1
    assert present["ScaledObject"] == 2
    assert present["TriggerAuthentication"] == 1
    assert present["Ingress"] == 1
    # KEDA owns the workers' replica count; the API keeps its CPU autoscaler.
    for queue in ("crisis", "default"):
        worker = one(rendered, "everything-on", "Deployment", f"rel-haven-worker-{queue}")
        assert "replicas" not in worker["spec"]
    assert present["HorizontalPodAutoscaler"] == 1
    crisis = one(rendered, "everything-on", "Deployment", "rel-haven-worker-crisis")
    assert pod_spec(crisis)["containers"][0]["args"][-2:] == ["--concurrency", "8"]
    assert pod_spec(crisis)["priorityClassName"] == "haven-crisis"
    default = one(rendered, "everything-on", "Deployment", "rel-haven-worker-default")
    assert "priorityClassName" not in pod_spec(default)


def test_network_policies_fence_each_component(rendered: dict[str, Any]) -> None:
    assert "NetworkPolicy" not in kinds(rendered, "defaults")
    policies = {p["metadata"]["name"]: p for p in objects(rendered, "everything-on", "NetworkPolicy")}
    assert set(policies) == {
        "rel-haven-api",
        "rel-haven-worker-crisis",
        "rel-haven-worker-default",
        "rel-haven-scheduler",
    }
    pods = pod_labels(rendered, "everything-on")
    for name, policy in policies.items():
        selected = [n for n, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)]
        assert selected == [name], f"{name} selects {selected}"
        assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policies["rel-haven-api"]["spec"]["ingress"] == [
        {"ports": [{"port": "http", "protocol": "TCP"}], "from": [INGRESS_NAMESPACE]}
    ]
    assert policies["rel-haven-worker-crisis"]["spec"]["ingress"] == [
        {"ports": [{"port": "metrics", "protocol": "TCP"}], "from": [MONITORING_NAMESPACE]}
    ]
    assert "ingress" not in policies["rel-haven-scheduler"]["spec"]


def test_bundled_stores_answer_this_releases_haven_pods_only(rendered: dict[str, Any]) -> None:
    pods = pod_labels(rendered, "bundled-keda-persistent")
    haven_pods = {n for n in pods if n not in ("rel-haven-redis", "rel-haven-postgresql")}
    assert haven_pods >= {"rel-haven-api", "rel-haven-migrate", "rel-haven-scheduler"}
    for store in ("redis", "postgresql"):
        policy = one(rendered, "bundled-keda-persistent", "NetworkPolicy", f"rel-haven-{store}")
        (rule,) = policy["spec"]["ingress"]
        (peer,) = rule["from"]
        allowed = {n for n, labels in pods.items() if selects(peer["podSelector"], labels)}
        assert allowed == haven_pods
        assert selects(policy["spec"]["podSelector"], pods[f"rel-haven-{store}"])
        other = pods["rel-haven-redis" if store == "postgresql" else "rel-haven-postgresql"]
        assert not selects(policy["spec"]["podSelector"], other)
        assert not selects(peer["podSelector"], {**pods["rel-haven-api"], "app.kubernetes.io/instance": "other"})


def test_minimal_removes_what_it_turns_off(rendered: dict[str, Any]) -> None:
    present = kinds(rendered, "minimal")
    assert "HorizontalPodAutoscaler" not in present
    assert "Job" not in present
    assert "ServiceAccount" not in present
    names = {o["metadata"]["name"] for o in objects(rendered, "minimal", "Deployment")}
    assert names == {"rel-haven-api", "rel-haven-worker-crisis"}
    api = one(rendered, "minimal", "Deployment", "rel-haven-api")
    assert api["spec"]["replicas"] == 2
    assert pod_spec(api)["serviceAccountName"] == "haven-sa"
    pdbs = {o["metadata"]["name"] for o in objects(rendered, "minimal", "PodDisruptionBudget")}
    assert pdbs == {"rel-haven-worker-crisis"}


def test_crisis_workers_always_have_capacity(rendered: dict[str, Any]) -> None:
    for case in ("defaults", "everything-on", "bundled-keda-persistent"):
        pdb = one(rendered, case, "PodDisruptionBudget", "rel-haven-worker-crisis")
        assert pdb["spec"]["minAvailable"] >= 1
    for case in ("everything-on", "bundled-keda-persistent"):
        scaled = one(rendered, case, "ScaledObject", "rel-haven-worker-crisis")
        assert scaled["spec"]["minReplicaCount"] >= 1
        assert scaled["spec"]["scaleTargetRef"]["name"] == "rel-haven-worker-crisis"
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["listName"] == "crisis"


def test_keda_authenticates_with_the_right_password(rendered: dict[str, Any]) -> None:
    external = one(rendered, "everything-on", "TriggerAuthentication", "rel-haven-redis-auth")
    assert external["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "haven-redis-auth", "key": "password"}
    ]
    bundled = one(rendered, "bundled-keda-persistent", "TriggerAuthentication", "rel-haven-redis-auth")
    assert bundled["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "rel-haven-bundled-stores", "key": "redis-password"}
    ]
    scaled = one(rendered, "bundled-keda-persistent", "ScaledObject", "rel-haven-worker-default")
    assert scaled["spec"]["triggers"][0]["metadata"]["address"] == "rel-haven-redis:6379"


def test_persistence_toggles_volume_claims(rendered: dict[str, Any]) -> None:
    redis = one(rendered, "defaults", "StatefulSet", "rel-haven-redis")
    assert "volumeClaimTemplates" not in redis["spec"]
    redis = one(rendered, "bundled-keda-persistent", "StatefulSet", "rel-haven-redis")
    (claim,) = redis["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast"
    assert "--appendonly yes" in redis["spec"]["template"]["spec"]["containers"][0]["command"][2]
