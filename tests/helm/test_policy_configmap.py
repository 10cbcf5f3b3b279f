"""Policies from a ConfigMap: folders, checksum roll-outs, an existing ConfigMap."""

from __future__ import annotations

from typing import Any

from tests.helm.chart import (
    objects,
    one,
    pod_spec,
)


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
        "checksum/config": same["checksum/config"],
        "checksum/secret": same["checksum/secret"],
    }
    for queue in ("crisis", "default"):
        worker = one(rendered, "policies-changed", "Deployment", f"rel-haven-worker-{queue}")
        annotations = worker["spec"]["template"]["metadata"]["annotations"]
        assert annotations["checksum/policies"] == changed["checksum/policies"]


def test_an_existing_policy_configmap_is_mounted_for_hot_reload(rendered: dict[str, Any]) -> None:
    assert "checksum/policies" not in _checksums(rendered, "existing-policies")
    assert [c["metadata"]["name"] for c in objects(rendered, "existing-policies", "ConfigMap")] == ["rel-haven-config"]
    api = one(rendered, "existing-policies", "Deployment", "rel-haven-api")
    (volume,) = [v for v in pod_spec(api)["volumes"] if v["name"] == "policies"]
    assert volume["configMap"] == {"name": "my-policies"}
    (mount,) = [m for m in pod_spec(api)["containers"][0]["volumeMounts"] if m["name"] == "policies"]
    assert "subPath" not in mount, "subPath mounts never see ConfigMap updates"
    # No policies given: the pack in the image, no mount, no HAVEN_POLICY_DIR override.
    assert "HAVEN_POLICY_DIR" not in one(rendered, "defaults", "ConfigMap", "rel-haven-config")["data"]
