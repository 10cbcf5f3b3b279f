"""helm upgrade after helm install, against the same API double."""

from __future__ import annotations

from typing import Any

import yaml

from tests.helm.chart import (
    one,
)
from tests.helm.conftest import CHART


def _patched(calls: list[str], kind_path: str) -> list[str]:
    return [c.rsplit("/", 1)[1] for c in calls if c.startswith("PATCH") and f"/{kind_path}/" in c]


def test_upgrade_keeps_the_generated_passwords(rendered: dict[str, Any]) -> None:
    install, upgrade = rendered["upgrades"]["bundled-same-values"]
    assert install["error"] is None
    assert upgrade["error"] is None
    assert upgrade["revision"] == 2

    def secret(step: dict[str, Any], name: str) -> dict[str, str]:
        (found,) = [o for o in step["objects"] if o["kind"] == "Secret" and o["metadata"]["name"] == name]
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
    on_disk = sorted(f"haven/{p.relative_to(CHART)}" for p in CHART.rglob("*") if p.is_file())
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
