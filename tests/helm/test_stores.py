"""Redis, PostgreSQL and secrets: bundled, external or existing, and the migration hook."""

from __future__ import annotations

import re
from typing import Any

from tests.helm.chart import (
    GOOD,
    env_of,
    kinds,
    objects,
    one,
    pod_spec,
)


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
        "rel-haven-api",
        "rel-haven-worker-crisis",
        "rel-haven-worker-default",
    }


def test_existing_secrets_are_referenced_and_nothing_secret_is_rendered(
    rendered: dict[str, Any],
) -> None:
    assert objects(rendered, "existing-secrets", "Secret") == []
    for obj in objects(rendered, "existing-secrets", "Deployment"):
        container = pod_spec(obj)["containers"][0]
        env = env_of(container)
        assert env["HAVEN_REDIS_URL"] == {"secretKeyRef": {"name": "haven-redis", "key": "redis-url"}}
        assert env["HAVEN_STATE_REDIS_URL"] == {"secretKeyRef": {"name": "haven-state-redis", "key": "state-redis-url"}}
        assert env["HAVEN_DATABASE_URL"] == {"secretKeyRef": {"name": "haven-db", "key": "database-url"}}
        assert {"secretRef": {"name": "haven-credentials"}} in container["envFrom"]
    job = one(rendered, "existing-secrets", "Job", "rel-haven-migrate")
    assert env_of(pod_spec(job)["containers"][0])["HAVEN_DATABASE_URL"] == {
        "secretKeyRef": {"name": "haven-db", "key": "database-url"}
    }


def test_migration_is_a_hook_before_install_and_upgrade(rendered: dict[str, Any]) -> None:
    hooks = {h["object"]: h for h in rendered["external"]["hooks"]}
    assert hooks["Job/rel-haven-migrate"]["hook"] == "pre-install,pre-upgrade"
    assert hooks["Secret/rel-haven-migrate"]["hook"] == "pre-install,pre-upgrade"
    assert int(hooks["Secret/rel-haven-migrate"]["weight"]) < int(hooks["Job/rel-haven-migrate"]["weight"])
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


def test_the_production_example_runs_on_external_stores(rendered: dict[str, Any]) -> None:
    present = kinds(rendered, "example-production")
    assert "StatefulSet" not in present
    assert "Secret" not in present, "every secret comes from Secrets the operator manages"
    for kind in ("ServiceMonitor", "PrometheusRule", "Ingress", "NetworkPolicy"):
        assert kind in present
    api = one(rendered, "example-production", "Deployment", "rel-haven-api")
    env = env_of(pod_spec(api)["containers"][0])
    assert env["HAVEN_DATABASE_URL"] == {"secretKeyRef": {"name": "haven-external-stores", "key": "database-url"}}


def test_the_state_redis_of_its_own_and_its_cluster_reach_every_haven_process(rendered: dict[str, Any]) -> None:
    import base64

    secret = one(rendered, "state-redis-cluster", "Secret", "rel-haven-secrets")
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["HAVEN_STATE_REDIS_URL"] == "redis://:pw@state.example.internal:7000/0"
    assert data["HAVEN_REDIS_URL"] == "redis://:pw@redis.example.internal:6379/0"
    config = one(rendered, "state-redis-cluster", "ConfigMap", "rel-haven-config")
    assert config["data"]["HAVEN_STATE_REDIS_CLUSTER"] == "true"
    for obj in objects(rendered, "state-redis-cluster", "Deployment"):
        sources = pod_spec(obj)["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "rel-haven-secrets"}} in sources
        assert {"configMapRef": {"name": "rel-haven-config"}} in sources
    # Without the values, neither variable is set: the state stays in the broker's Redis.
    defaults = one(rendered, "external", "ConfigMap", "rel-haven-config")
    assert "HAVEN_STATE_REDIS_CLUSTER" not in defaults["data"]
    external = one(rendered, "external", "Secret", "rel-haven-secrets")
    assert "HAVEN_STATE_REDIS_URL" not in external["data"]


def test_the_bundled_redis_keeps_conversation_and_counter_sets_compact(rendered: dict[str, Any]) -> None:
    from haven.state_redis import COMPACT_MEMBER_BYTES, COMPACT_SETTINGS

    redis = one(rendered, "defaults", "StatefulSet", "rel-haven-redis")
    command = " ".join(pod_spec(redis)["containers"][0]["command"])
    for setting in COMPACT_SETTINGS:
        assert f"--{setting} {COMPACT_MEMBER_BYTES}" in command


def test_behind_a_transaction_pooler_every_database_client_leaves_statements_unprepared(
    rendered: dict[str, Any],
) -> None:
    """The API, the workers and the scheduler read the ConfigMap; the migrate hook has its own env."""
    setting = "HAVEN_DATABASE_PREPARED_STATEMENTS"
    assert setting not in one(rendered, "external", "ConfigMap", "rel-haven-config")["data"]
    assert one(rendered, "behind-pgbouncer", "ConfigMap", "rel-haven-config")["data"][setting] == "false"
    for case, expected in (("external", None), ("behind-pgbouncer", "false")):
        migrate = one(rendered, case, "Job", "rel-haven-migrate")
        env = {e["name"]: e.get("value") for e in pod_spec(migrate)["containers"][0]["env"]}
        assert env.get(setting) == expected, case
