"""The served OpenAPI document: what a client generator and a reader of it rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from haven.app import create_app
from haven.config import Settings
from haven.services import Services, build_services
from litestar.testing import TestClient

from tests.unit.service.conftest import failing_first
from tests.unit.service.test_bad_input import a_post, problem

API_OPERATIONS = {
    "listPolicies",
    "getPolicy",
    "putPolicy",
    "deletePolicy",
    "explainPolicy",
    "listPolicyVersions",
    "activatePolicyVersion",
    "comparePolicyVersion",
    "registerProtectedIdentity",
    "listProtectedIdentities",
    "withdrawProtectedIdentity",
    "submitPost",
    "submitPosts",
    "getDecision",
    "listDecisions",
    "reviewDecision",
    "createWebhook",
    "listWebhooks",
    "getWebhook",
    "listWebhookDeliveries",
    "deleteWebhook",
    "acknowledgeEscalation",
    "getDecisionHistory",
    "listQueue",
    "claimQueueItem",
    "listParkedPosts",
    "retryParkedPost",
    "retryWebhookDelivery",
    "listFailedActions",
    "retryFailedAction",
}
PUBLIC_OPERATIONS = {"getHealth", "getReadiness", "getMetrics"}


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for item in document["paths"].values() for op in item.values()}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:  # type: ignore[type-arg]
    served: dict[str, Any] = client.get("/schema/openapi.json").json()
    return served


@pytest.fixture
def with_slack(embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """An app with the Slack plugin on, so that a plugin's webhook routes are in the document."""
    for name, value in {
        "HAVEN_SLACK_SIGNING_SECRET": "signing-secret",
        "HAVEN_SLACK_BOT_TOKEN": "xoxb-1",
        "HAVEN_SLACK_MODERATOR_CHANNEL": "C0MODS",
        "HAVEN_SLACK_COMMUNITIES": "T0TEAM=group",
    }.items():
        monkeypatch.setenv(name, value)
    services = build_services(embedded_settings)
    with TestClient(create_app(services.settings, services)) as running:
        yield running
    services.store.dispose()


def test_every_operation_has_the_id_it_names(document: dict[str, Any]) -> None:
    assert set(operations(document)) == API_OPERATIONS | PUBLIC_OPERATIONS


def test_only_the_api_routes_ask_for_a_key(with_slack: TestClient) -> None:  # type: ignore[type-arg]
    document = with_slack.get("/schema/openapi.json").json()
    assert "security" not in document
    found = operations(document)
    plugin_ops = {op for op in found if op.startswith("postSlack")}
    assert plugin_ops == {"postSlackEvents", "postSlackInteractions"}
    for name, op in found.items():
        if name in API_OPERATIONS:
            assert op["security"] == [{"apiKey": []}], name
        else:
            assert "security" not in op, name
    # And the document says what the server does: the public routes answer without a key.
    assert with_slack.get("/healthz").status_code == 200
    assert with_slack.get("/metrics").status_code == 200
    # Slack's route refuses an unsigned event itself, never for want of an API key.
    unsigned = with_slack.post("/v1/plugins/slack/events", content=b"{}")
    assert "API key" not in unsigned.text
    assert "www-authenticate" not in unsigned.headers
    assert with_slack.get("/v1/decisions").status_code == 401


def test_every_property_is_described(document: dict[str, Any]) -> None:
    undescribed = [
        f"{name}.{prop}"
        for name, schema in document["components"]["schemas"].items()
        for prop, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undescribed == []
    post = document["components"]["schemas"]["Post"]["properties"]
    assert post["community"]["examples"] == ["chronic-pain-support"]


def test_problem_details_declares_every_member_the_api_sends(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
    auth: dict[str, str],
    document: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = set(document["components"]["schemas"]["ProblemDetails"]["properties"])
    field_error = set(document["components"]["schemas"]["FieldError"]["properties"])
    reader, _ = services.store.create_api_key("group", ["read"])
    bodies = [
        problem(client.post("/v1/posts", json=a_post(mood="sad"), headers=auth), 400),
        problem(client.post("/v1/posts", json=a_post(body="x" * 1001), headers=auth), 422),
        problem(client.post("/v1/posts", json=a_post(author={"id": ""}), headers=auth), 422),
        problem(client.post("/v1/posts", json=a_post(), headers={"authorization": f"Bearer {reader}"}), 403),
        problem(client.get("/v1/decisions"), 401),
    ]
    monkeypatch.setattr(services.work, "ping", failing_first(1, services.work.ping, []))
    bodies.append(problem(client.get("/readyz"), 503))
    sent = {member for body in bodies for member in body}
    assert {"errors", "pointer", "max_chars", "required_scope", "failing"} <= sent
    assert sent <= declared
    assert {key for error in bodies[0]["errors"] for key in error} <= field_error


def test_health_metrics_and_readiness_are_documented_as_served(
    client: TestClient,  # type: ignore[type-arg]
    document: dict[str, Any],
) -> None:
    found = operations(document)
    metrics_types = set(found["getMetrics"]["responses"]["200"]["content"])
    assert metrics_types == {"text/plain; version=0.0.4"}
    served = client.get("/metrics").headers["content-type"]
    assert served == "text/plain; version=0.0.4; charset=utf-8"
    readiness = found["getReadiness"]["responses"]
    assert set(readiness) == {"200", "503"}
    assert "application/problem+json" in readiness["503"]["content"]


def test_no_documentation_page_only_the_document(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/schema").headers["content-type"] == "application/vnd.oai.openapi+json"
    assert client.get("/schema/openapi.yaml").text.startswith(("components:", "info:", "openapi:"))
    for page in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc", "/schema/scalar"):
        assert client.get(page).status_code == 404, page


def test_the_shipped_client_folder_exists() -> None:
    assert (Path(__file__).resolve().parents[3] / "docs" / "client" / "haven_client" / "client.py").is_file()
