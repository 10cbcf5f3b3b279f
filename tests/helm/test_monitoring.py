"""ServiceMonitor, PrometheusRule and NOTES.txt."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helm.chart import (
    objects,
    one,
    pod_spec,
    selects,
)
from tests.helm.conftest import CHART


def _metric_names_defined_by_the_service() -> set[str]:
    source = (CHART.parent.parent / "service" / "haven" / "metrics.py").read_text()
    return set(re.findall(r'"(haven_[a-z_]+)"', source))


def test_alerts_use_metrics_the_service_defines(rendered: dict[str, Any]) -> None:
    defined = _metric_names_defined_by_the_service()
    assert defined, "service/haven/metrics.py defines no haven_ metric"
    alerts = rendered["everything-on"]["promql"]
    assert {a["alert"] for a in alerts} == {
        "HavenCrisisEscalationSlow",
        "HavenCrisisQueueBacklog",
        "HavenQueueBacklog",
        "HavenWebhookDeliveriesFailing",
        "HavenWebhookDeliveriesAbandoned",
        "HavenApiDown",
        "HavenWorkersDown",
    }
    services = {s["metadata"]["name"] for s in objects(rendered, "everything-on", "Service")}
    for alert in alerts:
        name = alert["alert"]
        assert alert["error"] is None, f"{name}: {alert['error']}"
        assert alert["selectors"], name
        for selector in alert["selectors"]:
            assert ["namespace", "Equal", "haven-test"] in selector["matchers"], name
            if selector["metric"] == "up":
                # Prometheus's own series for a scrape target: named by the Service.
                (service,) = [m[2] for m in selector["matchers"] if m[0] == "service"]
                assert service in services, name
                continue
            base = re.sub(r"_(bucket|sum|count)$", "", selector["metric"])
            assert base in defined, f"{name} reads {selector['metric']}, which Haven does not export"


# Metrics the dashboard shows that other work adds to Haven (time to acknowledgement, open
# escalations: the moderator loop; parked posts: durability). Until that lands, their panels
# stay empty rather than wrong.
FROM_OTHER_ISSUES = {"haven_escalation_ack_seconds", "haven_escalations_open", "haven_posts_parked_total"}


def test_the_dashboard_queries_only_metrics_haven_exports(rendered: dict[str, Any]) -> None:
    defined = _metric_names_defined_by_the_service()
    queries = rendered["everything-on"]["dashboards"]
    panels = {q["panel"] for q in queries}
    assert {"Queue depth", "Time to acknowledgement", "Webhook deliveries failing", "Posts parked"} <= panels
    read = set()
    for query in queries:
        assert query["error"] is None, f"{query['panel']}: {query['error']}"
        assert query["selectors"], query["panel"]
        for selector in query["selectors"]:
            read.add(re.sub(r"_(bucket|sum|count)$", "", selector["metric"]))
    assert read <= defined | FROM_OTHER_ISSUES, read - defined - FROM_OTHER_ISSUES
    assert {"haven_http_requests_total", "haven_http_request_duration_seconds", "haven_queue_depth"} <= read


def test_the_dashboard_configmap_is_labelled_for_grafana(rendered: dict[str, Any]) -> None:
    dashboard = one(rendered, "everything-on", "ConfigMap", "rel-haven-dashboard")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["labels"]["release"] == "prometheus"
    assert dashboard["metadata"]["annotations"] == {"grafana_folder": "Haven"}
    shipped = (CHART / "dashboards" / "haven.json").read_text()
    assert json.loads(dashboard["data"]["haven.json"]) == json.loads(shipped)
    assert not [o for o in objects(rendered, "defaults", "ConfigMap") if o["metadata"]["name"].endswith("-dashboard")]


def test_a_missing_crisis_worker_is_critical(rendered: dict[str, Any]) -> None:
    down = {
        a["labels"]["worker_class"]: a["labels"]["severity"]
        for a in rendered["everything-on"]["promql"]
        if a["alert"] == "HavenWorkersDown"
    }
    assert down == {"crisis": "critical", "default": "warning"}
    # Without the ServiceMonitor there is no `up` series of Haven's to watch.
    alerts = {a["alert"] for a in rendered["single-replicas"]["promql"]}
    assert "HavenCrisisQueueBacklog" in alerts
    assert not alerts & {"HavenApiDown", "HavenWorkersDown"}


def test_alerts_read_the_labels_the_service_sets(rendered: dict[str, Any]) -> None:
    source = (CHART.parent.parent / "service" / "haven" / "metrics.py").read_text()
    alerts = {a["alert"]: a for a in rendered["everything-on"]["promql"]}
    crisis = alerts["HavenCrisisQueueBacklog"]["selectors"][0]
    assert ["queue", "Equal", "crisis"] in crisis["matchers"]
    abandoned = alerts["HavenWebhookDeliveriesAbandoned"]["selectors"][0]
    assert ["outcome", "Equal", "failed"] in abandoned["matchers"]
    # The outcomes the alerts name are the ones the service documents.
    assert "(delivered, retry, failed)" in source


@pytest.mark.parametrize("case", ["everything-on", "bundled-keda-persistent"])
def test_service_monitor_scrapes_api_and_workers_only(rendered: dict[str, Any], case: str) -> None:
    (monitor,) = objects(rendered, case, "ServiceMonitor")
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}
    selected = {
        s["metadata"]["name"]
        for s in objects(rendered, case, "Service")
        if selects(monitor["spec"]["selector"], s["metadata"]["labels"])
    }
    assert selected == {"rel-haven-api", "rel-haven-worker-crisis", "rel-haven-worker-default"}
    service_ports = {
        p["name"]
        for s in objects(rendered, case, "Service")
        if s["metadata"]["name"] in selected
        for p in s["spec"]["ports"]
    }
    assert service_ports == ports
    assert (
        one(rendered, "everything-on", "ServiceMonitor", "rel-haven")["metadata"]["labels"]["release"] == "prometheus"
    )


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
