"""The policy pack as Haven sees it inside a pod: the chart's ConfigMap, laid out on disk
the way the kubelet does it, read by the service's own loader.

The kubelet writes a ConfigMap volume atomically: the files go into a hidden
timestamped folder, `..data` links to it, and each top-level name links into `..data`;
an update writes a new folder and swaps the `..data` link in one rename.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

from haven.pipeline import LivePolicies
from haven.policy import load_policy_set

from tests.helm.conftest import REPO_POLICIES
from tests.helm.toolchain import REPO

_stamp = itertools.count()


def _payload(configmap: dict[str, Any], volume: dict[str, Any]) -> dict[str, str]:
    """path: content of a configMap volume, its items applied."""
    items = volume["configMap"].get("items")
    if not items:
        return dict(configmap["data"])
    return {item["path"]: configmap["data"][item["key"]] for item in items}


def kubelet_write(mount: Path, payload: dict[str, str]) -> None:
    """Write (or update) a ConfigMap volume the kubelet's way."""
    mount.mkdir(parents=True, exist_ok=True)
    folder = mount / f"..2026_01_01_00_00_0{next(_stamp)}"
    for path, content in payload.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(content)
    previous = os.readlink(mount / "..data") if (mount / "..data").is_symlink() else None
    (mount / "..data_tmp").symlink_to(folder.name)
    os.rename(mount / "..data_tmp", mount / "..data")
    tops = {path.split("/", 1)[0] for path in payload}
    for top in tops:
        if not (mount / top).is_symlink():
            (mount / top).symlink_to(f"..data/{top}")
    for entry in mount.iterdir():
        if not entry.name.startswith(".") and entry.name not in tops:
            entry.unlink()
    if previous:
        for path in sorted((mount / previous).rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        (mount / previous).rmdir()


def _mounted_pack(rendered: dict[str, Any], case: str) -> tuple[dict[str, Any], dict[str, str]]:
    result = rendered[case]
    assert result["error"] is None
    (configmap,) = [
        o for o in result["objects"] if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rel-haven-policies"
    ]
    (api,) = [o for o in result["objects"] if o["kind"] == "Deployment" and o["metadata"]["name"] == "rel-haven-api"]
    (volume,) = [v for v in api["spec"]["template"]["spec"]["volumes"] if v["name"] == "policies"]
    return api, _payload(configmap, volume)


def test_the_repository_pack_fits_in_one_configmap() -> None:
    size = sum(len(path) + len(content.encode()) for path, content in REPO_POLICIES.items())
    assert size < 1_000_000, "a ConfigMap holds at most 1 MiB"
    assert any("/" in path for path in REPO_POLICIES), "the pack has folders"


def test_the_chart_configmap_mounts_as_the_same_pack(rendered: dict[str, Any], tmp_path: Path) -> None:
    api, payload = _mounted_pack(rendered, "policies-pack-no-roll")
    assert payload == REPO_POLICIES
    mount = tmp_path / "policies"
    kubelet_write(mount, payload)
    mounted = load_policy_set(mount)
    original = load_policy_set(REPO / "policies")
    assert [r.qualified_id for r in mounted.rules] == [r.qualified_id for r in original.rules]
    assert mounted.templates.by_name == original.templates.by_name
    assert mounted.templates.crisis_lines == original.templates.crisis_lines
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/policies" not in annotations, "rollOnChange: false keeps the pods"


def test_an_edit_reaches_running_pods_by_hot_reload(rendered: dict[str, Any], tmp_path: Path) -> None:
    _, payload = _mounted_pack(rendered, "policies-pack-no-roll")
    mount = tmp_path / "policies"
    kubelet_write(mount, payload)
    live = LivePolicies(mount, reload_seconds=0)
    before = live.current()
    edited = dict(payload)
    edited["crisis.yaml"] = payload["crisis.yaml"] + "\n# edited through the ConfigMap\n"
    kubelet_write(mount, edited)
    after = live.current()
    assert after.version != before.version
    assert [r.qualified_id for r in after.rules] == [r.qualified_id for r in before.rules]
