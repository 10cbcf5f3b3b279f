"""Layers: a community's and a channel's policies merged over the base pack by rule id."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from haven.policy import PolicyLoadError, PolicySet
from haven.policy.compiler import compile_folder
from haven.policy.layers import Layer, LayerDocument, merge_layers
from haven.policy.loader import read_policy_folder

from .conftest import fired, judge, post, write_set

BASE = """\
id: support
rules:
  - id: dosing
    category: misinformation.dosing
    severity: medium
    match: {phrases: ["double the dose", "doubled my dose"]}
    actions: [flag_for_review]
  - id: hostility
    category: community.hostility
    severity: medium
    match: {phrases: ["shut up"]}
    actions: [{reply: {template: guideline}}]
"""


def layer(name: str, **documents: str) -> Layer:
    return Layer(
        name,
        [LayerDocument(k, textwrap.dedent(v), Path(f"api/c/{k}.yaml"), "api") for k, v in documents.items()],
    )


def merged_set(tmp_path: Path, *layers: Layer) -> PolicySet:
    base = read_policy_folder(write_set(tmp_path / "base", {"support.yaml": BASE}))
    merged = merge_layers(base, layers)
    if merged.folder.errors:
        raise PolicyLoadError(merged.folder.errors)
    return compile_folder(merged.folder)


def test_a_community_layer_adds_policies_and_changes_rules_below_by_id(tmp_path: Path) -> None:
    recovery = layer(
        "community:recovery",
        recovery="""\
        id: recovery
        rules:
          - id: opioid-doses
            category: recovery.dosing
            severity: high
            match: {phrases: ["mg of oxy"]}
            actions: [hold]
        overrides:
          - {rule: support/dosing, actions: [hold], verdict: hold}
          - {rule: support/hostility, disabled: true}
        """,
    )
    rules = merged_set(tmp_path, recovery)
    decision = judge(rules, post("I doubled my dose, 40 mg of oxy"))
    assert decision.verdict == "hold"
    assert {(m.rule, m.layer) for m in decision.matches} == {
        ("dosing", "base"),
        ("opioid-doses", "community:recovery"),
    }
    assert rules.rule("support/dosing").changed_in == ("community:recovery",)  # type: ignore[union-attr]
    assert fired(judge(rules, post("oh shut up"))) == []
    base = merged_set(tmp_path / "plain")
    assert judge(base, post("I doubled my dose")).verdict == "review"
    assert fired(judge(base, post("oh shut up"))) == ["support/hostility"]


def test_a_channel_layer_changes_what_its_community_set(tmp_path: Path) -> None:
    community = layer(
        "community:c", strict="id: strict\noverrides:\n  - {rule: support/dosing, verdict: remove, actions: [remove]}\n"
    )
    channel = layer("channel:c/venting", calm="id: calm\noverrides:\n  - {rule: support, mode: shadow}\n")
    rules = merged_set(tmp_path, community, channel)
    decision = judge(rules, post("I doubled my dose"))
    assert decision.verdict == "allow"
    assert [(m.rule, m.verdict, m.mode) for m in decision.shadow_matches] == [("dosing", "remove", "shadow")]
    assert rules.rule("support/dosing").changed_in == ("community:c", "channel:c/venting")  # type: ignore[union-attr]


def test_templates_and_crisis_lines_are_overridden_for_a_locale(tmp_path: Path) -> None:
    gentle = layer(
        "community:grief",
        gentle="""\
        id: gentle
        templates:
          guideline: {default: "Gently: {guideline}", en-GB: "Kindly, {guideline}"}
        overrides:
          - {rule: support/hostility, description: "Be gentle here."}
        """,
    )
    rules = merged_set(tmp_path, gentle)
    reply = next(a for a in judge(rules, post("shut up", locale="en-GB")).actions if a.kind == "reply")
    assert reply.params["text"].startswith("Kindly, ")
    reply = next(a for a in judge(rules, post("shut up")).actions if a.kind == "reply")
    assert reply.params["text"].startswith("Gently: ")


def test_an_override_of_a_rule_that_is_not_there_says_where_and_suggests(tmp_path: Path) -> None:
    typo = layer("community:c", typo="id: typo\noverrides:\n  - {rule: support/dosnig, mode: shadow}\n")
    with pytest.raises(PolicyLoadError) as caught:
        merged_set(tmp_path, typo)
    [error] = caught.value.errors
    assert (str(error.file), error.line, error.column) == ("api/c/typo.yaml", 3, 12)
    assert error.message == "no rule or policy 'support/dosnig' in the layers below"
    assert error.hint == "did you mean 'support/dosing'?"


def test_a_layer_cannot_redefine_a_policy_below_it(tmp_path: Path) -> None:
    again = layer("community:c", support=BASE)
    with pytest.raises(PolicyLoadError) as caught:
        merged_set(tmp_path, again)
    assert [e.message for e in caught.value.errors] == ["policy 'support' is already defined in the base layer"]


def test_the_set_version_follows_the_layers(tmp_path: Path) -> None:
    one = layer("community:c", a="id: a\noverrides:\n  - {rule: support/dosing, mode: shadow}\n")
    two = layer("community:c", a="id: a\noverrides:\n  - {rule: support/dosing, mode: enforce}\n")
    base = merged_set(tmp_path / "b")
    versions = {base.version, merged_set(tmp_path / "one", one).version, merged_set(tmp_path / "two", two).version}
    assert len(versions) == 3
