"""Retold confidences, outing and protected identities in the engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from haven.policy import InMemoryIdentities, PolicyLoadError, PolicySet, evaluate, load_policy_set
from haven.policy import identities as identities_module
from haven.policy.engine import protecting_rules
from haven.policy.identities import PROTECTED_MASK, fold_name

from .conftest import NOW, fired, judge, post, write_set

RETOLD = """\
id: confidentiality
rules:
  - id: retold
    category: confidentiality.disclosure
    severity: high
    match:
      third_party:
        details: ["admitted", "told us"]
        within: 4
        sentence_start: SENTENCE_START
    actions: [hold]
"""


def test_a_name_opening_a_sentence_counts_when_the_report_follows_at_once(
    policy_set: Callable[[str], PolicySet],
) -> None:
    rules = policy_set(RETOLD.replace("SENTENCE_START", "true"))
    assert fired(judge(rules, post("Becky admitted in group that she relapsed."))) == ["confidentiality/retold"]
    assert fired(judge(rules, post("Ok. Tyler told us he's positive."))) == ["confidentiality/retold"]
    # Not a name: a pronoun, a common word, or a word the report does not follow at once.
    for text in ("She admitted it.", "Someone told us a joke.", "Everyone's told us.", "Honestly we admitted it."):
        assert fired(judge(rules, post(text))) == [], text


def test_without_the_option_an_opening_word_is_never_a_name(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(RETOLD.replace("SENTENCE_START", "false"))
    assert fired(judge(rules, post("Becky admitted in group that she relapsed."))) == []
    assert fired(judge(rules, post("So Becky admitted in group that she relapsed."))) == ["confidentiality/retold"]


PROTECTED = """\
id: confidentiality
rules:
  - id: protected
    category: confidentiality.identity
    severity: high
    match: {protected_identity: true}
    actions: [hold, {redact: {what: evidence}}]
  - id: coffee
    category: community.chat
    severity: low
    match: {phrases: ["coffee with"]}
    actions: [{label: {name: coffee}}]
"""


def registered(*names: str, community: str = "support", member: str | None = None) -> InMemoryIdentities:
    identities = InMemoryIdentities()
    identities.register(community, names, member)
    return identities


def test_names_fold_case_accents_spacing_and_handle_prefixes() -> None:
    assert fold_name("  María \n  CHEN ") == "maria chen"
    assert fold_name("Mary-Jane O'Neil") == "mary jane o neil"
    assert fold_name("@Sunny_M") == fold_name("u/sunny_m") == fold_name("/u/SUNNY_M") == "sunny_m"
    for bad in ("", "  @ ", "one two three four five"):
        with pytest.raises(ValueError):
            fold_name(bad)


def test_a_protected_name_is_held_however_it_is_written(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PROTECTED)
    identities = registered("María Chen", "@sunny_m")
    for text in (
        "Had coffee with Maria Chen today",
        "had coffee with MARIA   chen today",
        "had coffee with maria\nchen today",
        "had coffee with Máriá Chén today",
        "had coffee with m\u0430ria chen today",  # a Cyrillic а
        "u/sunny_m is back",
        "saw @Sunny_M yesterday",
    ):
        decision = evaluate(rules, post(text), now=NOW, identities=identities)
        assert "confidentiality/protected" in fired(decision), text
        assert decision.verdict == "hold"
    for text in ("Had coffee with Maria today", "had coffee with Chen Maria", "sunny days", "maria chenko"):
        decision = evaluate(rules, post(text), now=NOW, identities=identities)
        assert "confidentiality/protected" not in fired(decision), text


def test_a_name_protected_in_one_community_is_free_in_another(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PROTECTED)
    identities = registered("Maria Chen", community="elsewhere")
    assert fired(evaluate(rules, post("Maria Chen says hi"), now=NOW, identities=identities)) == []
    assert fired(evaluate(rules, post("Maria Chen says hi"), now=NOW)) == []


def test_the_member_may_use_their_own_protected_name(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PROTECTED)
    identities = registered("Maria Chen", member="maria-account")
    assert (
        fired(evaluate(rules, post("Maria Chen here, hi all", author="maria-account"), now=NOW, identities=identities))
        == []
    )
    other = evaluate(rules, post("Maria Chen here, hi all", author="someone-else"), now=NOW, identities=identities)
    assert fired(other) == ["confidentiality/protected"]


def test_no_snippet_of_any_rule_repeats_a_protected_name(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PROTECTED)
    identities = registered("Maria Chen")
    text = "Had coffee with Maria Chen, she teaches at Lincoln"
    decision = evaluate(rules, post(text, title="About maria chen"), now=NOW, identities=identities)
    assert sorted(fired(decision)) == ["confidentiality/coffee", "confidentiality/protected"]
    protected = next(m for m in decision.matches if m.rule == "protected")
    spans = {(e.field, e.start, e.end, e.text) for e in protected.evidence}
    body_start = text.index("Maria")
    assert spans == {
        ("title", 6, 16, PROTECTED_MASK),
        ("body", body_start, body_start + len("Maria Chen"), PROTECTED_MASK),
    }
    coffee = next(m for m in decision.matches if m.rule == "coffee")
    assert [e.text for e in coffee.evidence] == ["coffee with"]
    assert "chen" not in msgspec.json.encode(decision).decode().lower()


def test_the_hashed_word_memo_changes_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities_module, "MEMO_LIMIT", 3)
    names = registered("Maria Chen").protected("support")
    assert names is not None
    text = "one two three four maria chen five six"
    first = names.find(text)
    assert first == [(19, 29)]
    assert names.find(text) == first == names.find(text)
    assert names.find("maria is not chen") == []


def test_a_registration_relies_on_the_enforced_protected_identity_rules(
    policy_set: Callable[[str], PolicySet],
) -> None:
    assert protecting_rules(policy_set(PROTECTED)) == ["confidentiality/protected"]
    assert protecting_rules(policy_set(RETOLD.replace("SENTENCE_START", "true"))) == []


def test_protected_identity_false_is_a_load_error(tmp_path: Path) -> None:
    root = write_set(tmp_path, {"p.yaml": PROTECTED.replace("protected_identity: true", "protected_identity: false")})
    with pytest.raises(PolicyLoadError) as raised:
        load_policy_set(root)
    assert [str(e) for e in raised.value.errors] == [
        f"{root / 'p.yaml'}:6:33: write 'protected_identity: true', or leave the matcher out"
    ]
