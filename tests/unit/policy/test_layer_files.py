"""Layers kept as files (`communities/<community>/`, `…/channels/<channel>/`), read and
cached per community by the policy library as the workers use it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from haven.cli.main import main
from haven.domain import Author, Post
from haven.policy_library import LivePolicies, PolicyLibrary

from .conftest import fired, judge, write_set

BASE = """\
id: support
rules:
  - id: dosing
    category: misinformation.dosing
    severity: medium
    match: {phrases: ["double the dose"]}
    actions: [flag_for_review]
    examples:
      match: ["double the dose"]
"""
QUIET = "id: quiet\noverrides:\n  - {rule: support/dosing, mode: shadow}\n"
STRICT = "id: strict\noverrides:\n  - {rule: support/dosing, verdict: hold, actions: [hold]}\n"


def community_post(community: str, body: str, thread: str | None = None) -> Post:
    return Post(platform="slack", community=community, external_id=f"{thread or 'C0'}:1.0", thread_id=thread,
                author=Author(id="a"), body=body)  # fmt: skip


def folder(tmp_path: Path) -> Path:
    root = write_set(tmp_path / "set", {"support.yaml": BASE})
    (root / "communities" / "grief" / "channels" / "C42").mkdir(parents=True)
    (root / "communities" / "grief" / "quiet.yaml").write_text(QUIET)
    # The community's layer made the rule shadow; the channel makes it act, and hold.
    (root / "communities" / "grief" / "channels" / "C42" / "strict.yaml").write_text(
        STRICT.replace("verdict: hold", "mode: enforce, verdict: hold")
    )
    (root / "communities" / "pain").mkdir()
    (root / "communities" / "pain" / "strict.yaml").write_text(STRICT)
    return root


def test_each_community_and_channel_is_judged_with_its_own_folder(tmp_path: Path) -> None:
    library = PolicyLibrary(LivePolicies(folder(tmp_path), reload_seconds=0), None)
    text = "should I double the dose"
    assert judge(library.for_post(community_post("elsewhere", text)), community_post("x", text)).verdict == "review"
    grief = judge(library.for_post(community_post("grief", text)), community_post("grief", text))
    assert grief.verdict == "allow" and [m.layer for m in grief.shadow_matches] == ["base"]
    in_channel = community_post("grief", text, thread="C42:1700000000.1")
    decision = judge(library.for_post(in_channel), in_channel)
    assert decision.verdict == "hold" and fired(decision) == ["support/dosing"]
    assert judge(library.for_post(community_post("pain", text)), community_post("pain", text)).verdict == "hold"


def test_a_community_layer_over_a_pack_with_learned_models_keeps_them(tmp_path: Path) -> None:
    # The default pack's rules ask its models: a community's set merged over it needs them too,
    # or compiling it fails (it did: the merged folder carried no models).
    root = shutil.copytree(Path(__file__).resolve().parents[3] / "policies", tmp_path / "pack")
    (root / "communities" / "recovery").mkdir(parents=True)
    (root / "communities" / "recovery" / "strict.yaml").write_text(
        "id: strict\noverrides:\n  - {rule: crisis/learned-risk, mode: shadow}\n"
    )
    library = PolicyLibrary(LivePolicies(root, reload_seconds=0), None)
    base = library.current()
    recovery = library.for_post(community_post("recovery", "a quiet day"))
    assert recovery is not base
    assert set(recovery.models) == set(base.models) == {"crisis", "hostility", "misinformation"}
    learned = recovery.rule("crisis/learned-risk")
    assert learned is not None and learned.mode == "shadow" and learned.changed_in == ("community:recovery",)


def test_changing_one_communitys_folder_recompiles_neither_the_base_nor_another(tmp_path: Path) -> None:
    root = folder(tmp_path)
    library = PolicyLibrary(LivePolicies(root, reload_seconds=0), None)
    base, pain, grief = library.current(), library.effective("pain").policy_set, library.effective("grief").policy_set
    changed = root / "communities" / "grief" / "quiet.yaml"
    changed.write_text(QUIET.replace("shadow", "enforce"))
    os.utime(changed, ns=(1, 1))  # a new mtime even on coarse clocks
    assert library.effective("grief").policy_set is not grief
    assert library.current() is base
    assert library.effective("pain").policy_set is pain


def test_policy_check_and_test_cover_the_community_folders(tmp_path: Path, capsys: object) -> None:
    root = folder(tmp_path)
    assert main(["policy", "test", str(root)]) == 0
    (root / "communities" / "pain" / "typo.yaml").write_text("id: typo\noverrides:\n  - {rule: support/dose}\n")
    assert main(["policy", "check", str(root)]) == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "communities/pain/typo.yaml:3:12: no rule or policy 'support/dose' in the layers below" in err
