"""The Helm chart, rendered by Helm itself for each case in conftest.CASES.

Every object is validated against the Kubernetes schemas (strict: unknown fields fail)
of the oldest version Chart.yaml supports and of the newest kubernetes-validate ships,
or, for the Prometheus Operator and KEDA kinds, against crd-schemas/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.helm.conftest import CASES, CHART, INGRESS_NAMESPACE, MONITORING_NAMESPACE

GOOD = [name for name in CASES if not name.startswith("refuse-")]
REFUSED = {
    "refuse-two-redis": "redis: choose exactly one of redis.url, redis.existingSecret",
    "refuse-no-database": "postgresql: choose exactly one of",
    "refuse-zero-crisis-workers": "/workers/crisis/replicas",
    "refuse-typo": "additional properties 'replica' not allowed",
    "refuse-keda-without-address": "keda.enabled needs keda.redis.address",
    "refuse-bad-redis-url": "/redis/url",
    "refuse-url-unsafe-password": "/postgresql/bundled/password",
}
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


# -- Helm accepts, renders and validates ------------------------------------------------


@pytest.mark.parametrize("case", GOOD)
def test_lint_is_clean(rendered: dict[str, Any], case: str) -> None:
    lint = rendered[case]["lint"]
    assert lint["failed"] is None
    worse_than_info = [m for m in lint["messages"] if m["severity"] > 1]
    assert worse_than_info == []


@pytest.mark.parametrize("case", GOOD)
def test_every_object_is_valid_kubernetes(rendered: dict[str, Any], case: str) -> None:
    assert objects(rendered, case), "nothing rendered"
    assert rendered[case]["invalid"] == []
    oldest, newest = rendered[case]["validated_against"]
    assert oldest == "1.25"
    assert tuple(map(int, newest.split("."))) >= (1, 33)


@pytest.mark.parametrize("case", GOOD)
def test_helm_created_exactly_what_it_rendered(rendered: dict[str, Any], case: str) -> None:
    on_demand = {h["object"] for h in rendered[case]["hooks"] if h["hook"] == "test"}
    names = sorted(
        name
        for o in objects(rendered, case)
        if (name := f"{o['kind']}/{o['metadata']['name']}") not in on_demand
    )
    assert rendered[case]["created"] == names


@pytest.mark.parametrize(("case", "message"), sorted(REFUSED.items()))
def test_bad_values_are_refused_with_a_reason(
    rendered: dict[str, Any], case: str, message: str
) -> None:
    error = rendered[case]["error"]
    assert error is not None, f"{case} was accepted"
    assert message in error


def test_every_case_is_checked_for_refusal() -> None:
    assert set(REFUSED) == {name for name in CASES if name.startswith("refuse-")}


# -- Labels, security, probes ------------------------------------------------------------


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
        concurrency = {"crisis": "2", "default": "4"}[queue]
        assert container["args"] == ["worker", "--queues", queue, "--concurrency", concurrency]
        assert container["livenessProbe"]["exec"]["command"] == [
            "haven", "health", "worker", "--max-age", "60",
        ]
        assert "celery" not in str(container["livenessProbe"])
        assert "readinessProbe" not in container
    scheduler = one(rendered, "defaults", "Deployment", "rel-haven-scheduler")
    assert pod_spec(scheduler)["containers"][0]["args"] == ["scheduler"]
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


# -- Data stores and secrets ------------------------------------------------------------


def test_bundled_stores_are_statefulsets_with_a_generated_password(rendered: dict[str, Any]) -> None:
    import base64

    assert kinds(rendered, "defaults")["StatefulSet"] == 2

    def data(name: str) -> dict[str, str]:
        secret = one(rendered, "defaults", "Secret", name)
        return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}

    haven, stores = data("rel-haven-secrets"), data("rel-haven-bundled-stores")
    # Haven's environment gets URLs only: every key is a valid variable name.
    assert set(haven) == {"HAVEN_REDIS_URL", "HAVEN_DATABASE_URL"}
    assert set(stores) == {"redis-password", "postgresql-password"}
    assert len(stores["postgresql-password"]) == 32
    assert haven["HAVEN_DATABASE_URL"] == (
        f"postgresql://haven:{stores['postgresql-password']}@rel-haven-postgresql:5432/haven"
    )
    assert haven["HAVEN_REDIS_URL"] == f"redis://:{stores['redis-password']}@rel-haven-redis:6379/0"
    postgres = one(rendered, "defaults", "StatefulSet", "rel-haven-postgresql")
    env = env_of(pod_spec(postgres)["containers"][0])
    assert env["POSTGRES_PASSWORD"] == {
        "secretKeyRef": {"name": "rel-haven-bundled-stores", "key": "postgresql-password"}
    }
    # The migration hook's own Secret carries the same URL (one password per render).
    hook_secret = one(rendered, "defaults", "Secret", "rel-haven-migrate")
    secret = one(rendered, "defaults", "Secret", "rel-haven-secrets")
    assert hook_secret["data"]["HAVEN_DATABASE_URL"] == secret["data"]["HAVEN_DATABASE_URL"]


def test_env_from_sources_hold_only_valid_variable_names(rendered: dict[str, Any]) -> None:
    """The kubelet skips (and warns about, on every pod start) keys that are not names."""
    for case in GOOD:
        by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects(rendered, case)}
        for obj in objects(rendered, case, "Deployment"):
            for source in pod_spec(obj)["containers"][0].get("envFrom", []):
                kind = "ConfigMap" if "configMapRef" in source else "Secret"
                name = (source.get("configMapRef") or source["secretRef"])["name"]
                if (kind, name) in by_name:
                    keys = by_name[(kind, name)]["data"]
                    bad = [k for k in keys if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)]
                    assert bad == [], f"{case}: {kind}/{name} has {bad}"


def test_external_stores_render_no_statefulset(rendered: dict[str, Any]) -> None:
    assert "StatefulSet" not in kinds(rendered, "external")
    assert {s["metadata"]["name"] for s in objects(rendered, "external", "Service")} == {
        "rel-haven-api", "rel-haven-worker-crisis", "rel-haven-worker-default",
    }


def test_existing_secrets_are_referenced_and_nothing_secret_is_rendered(
    rendered: dict[str, Any],
) -> None:
    assert objects(rendered, "existing-secrets", "Secret") == []
    for obj in objects(rendered, "existing-secrets", "Deployment"):
        container = pod_spec(obj)["containers"][0]
        env = env_of(container)
        assert env["HAVEN_REDIS_URL"] == {"secretKeyRef": {"name": "haven-redis", "key": "redis-url"}}
        assert env["HAVEN_DATABASE_URL"] == {
            "secretKeyRef": {"name": "haven-db", "key": "database-url"}
        }
        assert {"secretRef": {"name": "haven-credentials"}} in container["envFrom"]
    job = one(rendered, "existing-secrets", "Job", "rel-haven-migrate")
    assert env_of(pod_spec(job)["containers"][0])["HAVEN_DATABASE_URL"] == {
        "secretKeyRef": {"name": "haven-db", "key": "database-url"}
    }


def test_migration_is_a_hook_before_install_and_upgrade(rendered: dict[str, Any]) -> None:
    hooks = {h["object"]: h for h in rendered["external"]["hooks"]}
    assert hooks["Job/rel-haven-migrate"]["hook"] == "pre-install,pre-upgrade"
    assert hooks["Secret/rel-haven-migrate"]["hook"] == "pre-install,pre-upgrade"
    assert int(hooks["Secret/rel-haven-migrate"]["weight"]) < int(
        hooks["Job/rel-haven-migrate"]["weight"]
    )
    job = one(rendered, "external", "Job", "rel-haven-migrate")
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert "serviceAccountName" not in pod_spec(job), "the release's account may not exist yet"
    # The bundled database does not exist before install: migrate after it.
    bundled = {h["object"]: h["hook"] for h in rendered["defaults"]["hooks"]}
    assert bundled["Job/rel-haven-migrate"] == "post-install,pre-upgrade"
    assert [h["hook"] for h in rendered["minimal"]["hooks"]] == ["test"]


def test_the_hook_secret_lives_until_the_migration_has_run(rendered: dict[str, Any]) -> None:
    """Helm creates the hooks by weight, waits for the Job, then deletes both."""
    calls = rendered["external"]["calls"]
    secret = "/api/v1/namespaces/haven-test/secrets/rel-haven-migrate"
    job = "/apis/batch/v1/namespaces/haven-test/jobs/rel-haven-migrate"
    created_secret, created_job = calls.index(f"POST {secret}"), calls.index(f"POST {job}")
    order = [
        created_secret,
        created_job,
        calls.index(f"DELETE {job}", created_job),
        calls.index(f"DELETE {secret}", created_secret),
    ]
    assert order == sorted(order)
    # pre-install: before any of the release's own objects.
    assert order[-1] < calls.index("POST /apis/apps/v1/namespaces/haven-test/deployments/rel-haven-api")
    # post-install with the bundled database: after them.
    calls = rendered["defaults"]["calls"]
    assert calls.index(f"POST {job}") > calls.index(
        "POST /apis/apps/v1/namespaces/haven-test/statefulsets/rel-haven-postgresql"
    )


# -- Toggles add and remove their objects ---------------------------------------------------


def test_optional_objects_are_off_by_default(rendered: dict[str, Any]) -> None:
    present = kinds(rendered, "defaults")
    for kind in ("ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication",
                 "Ingress"):
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


def _pod_labels(rendered: dict[str, Any], case: str) -> dict[str, dict[str, str]]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
        for o in objects(rendered, case)
        if o["kind"] in POD_KINDS
    }


def test_network_policies_fence_each_component(rendered: dict[str, Any]) -> None:
    assert "NetworkPolicy" not in kinds(rendered, "defaults")
    policies = {p["metadata"]["name"]: p for p in objects(rendered, "everything-on", "NetworkPolicy")}
    assert set(policies) == {
        "rel-haven-api", "rel-haven-worker-crisis", "rel-haven-worker-default", "rel-haven-scheduler",
    }
    pods = _pod_labels(rendered, "everything-on")
    for name, policy in policies.items():
        selected = [n for n, labels in pods.items() if _selects(policy["spec"]["podSelector"], labels)]
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
    pods = _pod_labels(rendered, "bundled-keda-persistent")
    haven_pods = {n for n in pods if n not in ("rel-haven-redis", "rel-haven-postgresql")}
    assert haven_pods >= {"rel-haven-api", "rel-haven-migrate", "rel-haven-scheduler"}
    for store in ("redis", "postgresql"):
        policy = one(rendered, "bundled-keda-persistent", "NetworkPolicy", f"rel-haven-{store}")
        (rule,) = policy["spec"]["ingress"]
        (peer,) = rule["from"]
        allowed = {n for n, labels in pods.items() if _selects(peer["podSelector"], labels)}
        assert allowed == haven_pods
        assert _selects(policy["spec"]["podSelector"], pods[f"rel-haven-{store}"])
        other = pods["rel-haven-redis" if store == "postgresql" else "rel-haven-postgresql"]
        assert not _selects(policy["spec"]["podSelector"], other)
        assert not _selects(peer["podSelector"], {**pods["rel-haven-api"], "app.kubernetes.io/instance": "other"})


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


# -- Policies ---------------------------------------------------------------------------------


def _checksums(rendered: dict[str, Any], case: str) -> dict[str, str]:
    api = one(rendered, case, "Deployment", "rel-haven-api")
    annotations: dict[str, str] = api["spec"]["template"]["metadata"]["annotations"]
    return {k: v for k, v in annotations.items() if k.startswith("checksum/")}


def test_policies_from_a_chart_configmap_with_folders(rendered: dict[str, Any]) -> None:
    configmap = one(rendered, "policies-same", "ConfigMap", "rel-haven-policies")
    assert set(configmap["data"]) == {"crisis.yaml", "templates__crisis-resources.md"}
    api = one(rendered, "policies-same", "Deployment", "rel-haven-api")
    (volume,) = [v for v in pod_spec(api)["volumes"] if v["name"] == "policies"]
    assert {"key": "templates__crisis-resources.md", "path": "templates/crisis-resources.md"} in (
        volume["configMap"]["items"]
    )


def test_policy_changes_roll_the_pods(rendered: dict[str, Any]) -> None:
    same, changed = _checksums(rendered, "policies-same"), _checksums(rendered, "policies-changed")
    assert same["checksum/policies"] != changed["checksum/policies"]
    assert same["checksum/config"] == changed["checksum/config"]
    assert same == _checksums(rendered, "everything-on") | {
        "checksum/config": same["checksum/config"], "checksum/secret": same["checksum/secret"],
    }
    for queue in ("crisis", "default"):
        worker = one(rendered, "policies-changed", "Deployment", f"rel-haven-worker-{queue}")
        annotations = worker["spec"]["template"]["metadata"]["annotations"]
        assert annotations["checksum/policies"] == changed["checksum/policies"]


def test_an_existing_policy_configmap_is_mounted_for_hot_reload(rendered: dict[str, Any]) -> None:
    assert "checksum/policies" not in _checksums(rendered, "existing-policies")
    assert [c["metadata"]["name"] for c in objects(rendered, "existing-policies", "ConfigMap")] == [
        "rel-haven-config"
    ]
    api = one(rendered, "existing-policies", "Deployment", "rel-haven-api")
    (volume,) = [v for v in pod_spec(api)["volumes"] if v["name"] == "policies"]
    assert volume["configMap"] == {"name": "my-policies"}
    (mount,) = [m for m in pod_spec(api)["containers"][0]["volumeMounts"] if m["name"] == "policies"]
    assert "subPath" not in mount, "subPath mounts never see ConfigMap updates"
    # No policies given: the pack in the image, no mount, no HAVEN_POLICY_DIR override.
    assert "HAVEN_POLICY_DIR" not in one(rendered, "defaults", "ConfigMap", "rel-haven-config")["data"]


# -- Monitoring -----------------------------------------------------------------------------


def _metric_names_defined_by_the_service() -> set[str]:
    source = (CHART.parent.parent / "service" / "metrics.py").read_text()
    return set(re.findall(r'"(haven_[a-z_]+)"', source))


def test_alerts_use_metrics_the_service_defines(rendered: dict[str, Any]) -> None:
    defined = _metric_names_defined_by_the_service()
    assert defined, "service/metrics.py defines no haven_ metric"
    alerts = rendered["everything-on"]["promql"]
    assert set(alerts) >= {
        "HavenCrisisEscalationSlow",
        "HavenCrisisQueueBacklog",
        "HavenQueueBacklog",
        "HavenWebhookDeliveriesFailing",
        "HavenWebhookDeliveriesAbandoned",
    }
    for alert, parsed in alerts.items():
        assert parsed["error"] is None, f"{alert}: {parsed['error']}"
        assert parsed["selectors"], alert
        for selector in parsed["selectors"]:
            base = re.sub(r"_(bucket|sum|count)$", "", selector["metric"])
            assert base in defined, f"{alert} reads {selector['metric']}, which Haven does not export"
            assert ["namespace", "Equal", "haven-test"] in selector["matchers"], alert


def test_alerts_read_the_labels_the_service_sets(rendered: dict[str, Any]) -> None:
    source = (CHART.parent.parent / "service" / "metrics.py").read_text()
    alerts = rendered["everything-on"]["promql"]
    crisis = alerts["HavenCrisisQueueBacklog"]["selectors"][0]
    assert ["queue", "Equal", "crisis"] in crisis["matchers"]
    abandoned = alerts["HavenWebhookDeliveriesAbandoned"]["selectors"][0]
    assert ["outcome", "Equal", "failed"] in abandoned["matchers"]
    # The outcomes the alerts name are the ones the service documents.
    assert "(delivered, retry, failed)" in source


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


@pytest.mark.parametrize("case", ["everything-on", "bundled-keda-persistent"])
def test_service_monitor_scrapes_api_and_workers_only(rendered: dict[str, Any], case: str) -> None:
    (monitor,) = objects(rendered, case, "ServiceMonitor")
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}
    selected = {
        s["metadata"]["name"]
        for s in objects(rendered, case, "Service")
        if _selects(monitor["spec"]["selector"], s["metadata"]["labels"])
    }
    assert selected == {"rel-haven-api", "rel-haven-worker-crisis", "rel-haven-worker-default"}
    service_ports = {
        p["name"]
        for s in objects(rendered, case, "Service")
        if s["metadata"]["name"] in selected
        for p in s["spec"]["ports"]
    }
    assert service_ports == ports
    assert one(rendered, "everything-on", "ServiceMonitor", "rel-haven")["metadata"]["labels"][
        "release"
    ] == "prometheus"


def test_single_replica_deployments_get_no_disruption_budget(rendered: dict[str, Any]) -> None:
    assert objects(rendered, "single-replicas", "PodDisruptionBudget") == []
    api = one(rendered, "single-replicas", "Deployment", "rel-haven-api")
    assert api["spec"]["replicas"] == 1


def test_topology_spread_defaults_to_each_components_pods(rendered: dict[str, Any]) -> None:
    for name, component in (("rel-haven-api", "api"), ("rel-haven-worker-crisis", "worker-crisis")):
        deployment = one(rendered, "everything-on", "Deployment", name)
        filled, given = pod_spec(deployment)["topologySpreadConstraints"]
        assert filled["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert filled["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        assert given["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "haven"}}


def test_notes_warn_about_the_bundled_stores(rendered: dict[str, Any]) -> None:
    assert "WARNING: this release runs the bundled Redis and PostgreSQL" in rendered["defaults"]["notes"]
    assert "WARNING" not in rendered["external"]["notes"]
    assert "haven.example.org" in rendered["everything-on"]["notes"]
    assert "Workers:   crisis (queues: crisis, 2 pods)\n" in rendered["minimal"]["notes"]
    assert "crisis (queues: crisis, 2 to 6 pods)" in rendered["everything-on"]["notes"]
    assert "Scheduler: disabled" in rendered["minimal"]["notes"]


# -- values.yaml ----------------------------------------------------------------------------


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


# -- Upgrades (helm upgrade after helm install, against the same API double) -------------


def _patched(calls: list[str], kind_path: str) -> list[str]:
    return [c.rsplit("/", 1)[1] for c in calls if c.startswith("PATCH") and f"/{kind_path}/" in c]


def test_upgrade_keeps_the_generated_passwords(rendered: dict[str, Any]) -> None:
    install, upgrade = rendered["upgrades"]["bundled-same-values"]
    assert install["error"] is None
    assert upgrade["error"] is None
    assert upgrade["revision"] == 2

    def secret(step: dict[str, Any], name: str) -> dict[str, str]:
        (found,) = [
            o for o in step["objects"] if o["kind"] == "Secret" and o["metadata"]["name"] == name
        ]
        data: dict[str, str] = found["data"]
        return data

    for name in ("rel-haven-secrets", "rel-haven-bundled-stores"):
        assert secret(upgrade, name) == secret(install, name)
        assert f"PATCH /api/v1/namespaces/haven-test/secrets/{name}" not in upgrade["calls"]


def test_an_unchanged_upgrade_rolls_no_pod(rendered: dict[str, Any]) -> None:
    install, upgrade = rendered["upgrades"]["bundled-same-values"]
    assert _patched(upgrade["calls"], "deployments") == []
    assert _patched(upgrade["calls"], "statefulsets") == []

    def annotations(step: dict[str, Any]) -> list[dict[str, str]]:
        return [
            o["spec"]["template"]["metadata"].get("annotations", {})
            for o in step["objects"]
            if o["kind"] in ("Deployment", "StatefulSet")
        ]

    assert annotations(upgrade) == annotations(install)


def test_upgrade_migrates_before_it_changes_anything(rendered: dict[str, Any]) -> None:
    _, upgrade = rendered["upgrades"]["external-to-more-workers"]
    assert upgrade["error"] is None
    calls = upgrade["calls"]
    migrated = calls.index("POST /apis/batch/v1/namespaces/haven-test/jobs/rel-haven-migrate")
    first_patch = next(i for i, c in enumerate(calls) if c.startswith("PATCH"))
    assert migrated < first_patch
    assert _patched(calls, "deployments") == ["rel-haven-worker-default"]


def test_helm_packages_the_whole_chart(rendered: dict[str, Any]) -> None:
    package = rendered["package"]
    assert package["error"] is None
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert package["archive"] == f"haven-{chart['version']}.tgz"
    on_disk = sorted(
        f"haven/{p.relative_to(CHART)}" for p in CHART.rglob("*") if p.is_file()
    )
    assert package["files"] == on_disk


def test_helm_test_checks_readiness_through_the_service(rendered: dict[str, Any]) -> None:
    hooks = {h["object"]: h["hook"] for h in rendered["defaults"]["hooks"]}
    assert hooks["Pod/rel-haven-test-readyz"] == "test"
    pod = one(rendered, "defaults", "Pod", "rel-haven-test-readyz")
    (container,) = pod["spec"]["containers"]
    script = container["command"][2]
    service = one(rendered, "defaults", "Service", "rel-haven-api")
    port = service["spec"]["ports"][0]["port"]
    assert f'"http://rel-haven-api:{port}/readyz"' in script
    compile(script, "readyz", "exec")
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    # `helm test` runs it later, on demand: the install does not.
    assert "Pod/rel-haven-test-readyz" not in rendered["defaults"]["created"]
