"""The `classifier` matcher: a learned model's score in a rule, with its evidence and its errors."""

from __future__ import annotations

import functools
import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from haven.domain import TextRange
from haven.policy import PolicyLoadError, PolicySet, evaluate, load_policy_set
from haven.policy.classifier import ModelCard, TextModel
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.policy.conftest import NOW, post, write_set

CARD = ModelCard(summary="test", task="test", positive="despair", trained_on=[], licences=[], created="2026-12-02",
                 threshold_rule="by hand")  # fmt: skip
# A hand-weighted model: despairing words push the score up, hopeful ones down.
DESPAIR = TextModel(
    name="despair", format=1, bias=-2.0, threshold=0.6, card=CARD,
    vocabulary={"hopeless": (1.0, 6.0), "pointless": (1.0, 5.0), "everything": (1.0, 0.5),
                "hopeful": (1.0, -6.0), "better": (1.0, -3.0)},
)  # fmt: skip

RULE = """
id: learned
rules:
  - id: despair
    category: crisis.suicide
    severity: high
    match:
      classifier: {model: despair}
    actions:
      - escalate: {priority: normal}
"""


def write_model(root: Path, model: TextModel) -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    path = root / "models" / f"{model.name}.json.gz"
    path.write_bytes(gzip.compress(msgspec.json.encode(model)))
    return path


def folder(tmp_path: Path, rule: str = RULE, model: TextModel = DESPAIR) -> Path:
    root = write_set(tmp_path / "set", {"policy.yaml": rule})
    write_model(root, model)
    return root


def test_a_confident_model_fires_the_rule_with_its_score_and_the_sentence_that_drove_it(tmp_path: Path) -> None:
    policy_set = load_policy_set(folder(tmp_path))
    body = "Work was fine today. Honestly everything feels hopeless and pointless."
    decision = evaluate(policy_set, post(body), now=NOW)
    assert decision.verdict == "escalate"
    (match,) = decision.matches
    (scored,) = match.scores
    assert scored.model == "despair"
    assert len(scored.version) == 12
    assert scored.threshold == 0.6
    assert scored.score > 0.6
    (evidence,) = match.evidence
    assert body[evidence.start : evidence.end] == "Honestly everything feels hopeless and pointless."
    assert evidence.matcher.startswith("classifier: despair")


def test_a_hopeful_post_scores_below_the_threshold(tmp_path: Path) -> None:
    policy_set = load_policy_set(folder(tmp_path))
    decision = evaluate(policy_set, post("It felt hopeless last year, but I'm hopeful and better now."), now=NOW)
    assert decision.verdict == "allow"


def test_a_rule_may_set_its_own_threshold(tmp_path: Path) -> None:
    strict = RULE.replace("{model: despair}", "{model: despair, above: 0.999}")
    text = "Everything feels hopeless."
    assert evaluate(load_policy_set(folder(tmp_path / "a")), post(text), now=NOW).verdict == "escalate"
    assert evaluate(load_policy_set(folder(tmp_path / "b", strict)), post(text), now=NOW).verdict == "allow"


def test_quoted_words_are_not_scored_as_the_authors(tmp_path: Path) -> None:
    policy_set = load_policy_set(folder(tmp_path))
    quote = "It all feels hopeless and pointless."
    body = f"{quote}\nThat is what my friend wrote; I told her to call her therapist."
    decision = evaluate(policy_set, post(body, quoted=[TextRange(field="body", start=0, end=len(quote))]), now=NOW)
    assert decision.verdict == "allow"
    assert [m.rule for m in decision.quoted_matches] == ["despair"]


def test_an_unknown_model_is_an_error_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    root = folder(tmp_path, RULE.replace("{model: despair}", "{model: dispair}"))
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    (error,) = caught.value.errors
    assert (error.line, error.column) == (8, 27)
    assert "unknown model 'dispair'" in error.message
    assert error.hint is not None and "despair" in error.hint


def test_a_threshold_outside_zero_and_one_is_refused(tmp_path: Path) -> None:
    root = folder(tmp_path, RULE.replace("{model: despair}", "{model: despair, above: 7}"))
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    assert "between 0 and 1" in caught.value.errors[0].message


def test_a_damaged_model_file_names_the_file(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "models" / "despair.json.gz").write_bytes(b"not gzip at all")
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    messages = [str(e) for e in caught.value.errors]
    assert any("despair.json.gz" in m and "not a Haven model file" in m for m in messages)


def test_rules_only_leaves_out_every_rule_that_asks_a_model(tmp_path: Path) -> None:
    root = folder(tmp_path)
    assert [r.id for r in load_policy_set(root).rules] == ["despair"]
    assert load_policy_set(root, rules_only=True).rules == []


def test_the_model_version_changes_with_its_weights(tmp_path: Path) -> None:
    first = load_policy_set(folder(tmp_path / "a")).models["despair"].version
    heavier = msgspec.structs.replace(DESPAIR, bias=-1.0)
    second = load_policy_set(folder(tmp_path / "b", model=heavier)).models["despair"].version
    assert first != second


def test_the_default_pack_carries_its_models_with_cards_and_licences() -> None:
    from haven.config import DEFAULT_POLICY_DIR

    policy_set = default_pack()
    assert {"crisis", "hostility", "misinformation"} <= set(policy_set.models)
    for model in policy_set.models.values():
        assert 0.0 < model.threshold < 1.0
        assert model.card.licences, model.name
        assert (DEFAULT_POLICY_DIR / "models" / f"{model.name}.md").is_file()
    assert any("CC BY-SA" in licence for licence in policy_set.models["hostility"].card.licences)


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_training_writes_the_same_model_twice_and_it_loads(tmp_path: Path) -> None:
    datasets = tmp_path / "datasets"
    despair = [
        "nothing matters and i am so tired of all of it",
        "i cannot see a way forward anymore at all",
        "every day is heavier and i have stopped caring",
        "i feel like a burden to everyone around me",
    ]
    support = [
        "sending you a hug, you are not alone in this",
        "have you tried talking to your doctor about it",
        "that sounds so hard, we are here for you",
        "keep going, you are stronger than you think",
    ]
    rows = [{"id": f"b:user-{i}:{j}", "text": t, "label": "ideation"} for i, t in enumerate(despair) for j in range(3)]
    rows += [{"id": f"b:user-{i + 10}:{j}", "text": t, "label": "supportive"} for i, t in enumerate(support)
             for j in range(3)]  # fmt: skip
    _write_jsonl(datasets / "cssrs-reddit" / "items.jsonl", rows)
    _write_jsonl(datasets / "counsel-chat" / "items.jsonl",
                 [{"id": f"answer:{i}", "text": t} for i, t in enumerate(support)])  # fmt: skip
    corpus = tmp_path / "corpus"
    _write_jsonl(
        corpus / "c.jsonl", [{"id": "c-1", "text": "i am so tired of all of it", "expect": {"escalate": True}}]
    )
    haven = Path(sys.executable).with_name("haven")
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run
        done = subprocess.run(
            [str(haven), "models", "train", "--task", "crisis", "--datasets", str(datasets),
             "--corpus", str(corpus), "--out", str(out)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append((out / "crisis.json.gz").read_bytes())
    assert outputs[0] == outputs[1]
    card = (tmp_path / "one" / "crisis.md").read_text()
    assert "CC BY 4.0" in card and "threshold" in card.lower()
    root = write_set(tmp_path / "set", {"policy.yaml": RULE.replace("despair}", "crisis}")})
    (root / "models").mkdir()
    (root / "models" / "crisis.json.gz").write_bytes(outputs[0])
    model = load_policy_set(root).models["crisis"]
    from haven.policy.classifier import score, sentences

    def probability(text: str) -> float:
        return score(model, sentences(text)).probability

    assert probability("nothing matters and i cannot see a way forward") > probability("sending you a hug")


@functools.cache
def default_pack() -> PolicySet:
    from haven.config import DEFAULT_POLICY_DIR

    return load_policy_set(DEFAULT_POLICY_DIR)


@given(st.text(max_size=600))
@settings(max_examples=200, deadline=None)
def test_judging_with_the_models_never_raises_and_gives_the_same_decision_twice(text: str) -> None:
    policy_set = default_pack()
    first = evaluate(policy_set, post(text), now=NOW)
    second = evaluate(policy_set, post(text), now=NOW)
    assert msgspec.json.encode(first) == msgspec.json.encode(second)
    for match in first.matches:
        for scored in match.scores:
            assert 0.0 <= scored.score <= 1.0
        for evidence in match.evidence:
            assert 0 <= evidence.start <= evidence.end <= len(text)


@given(st.lists(st.sampled_from(["hopeless", "pointless", "everything", "hopeful", "better", "tea", "."]), max_size=40))
@settings(max_examples=100, deadline=None)
def test_the_bank_scores_every_model_as_the_weighted_features_say(words: list[str]) -> None:
    from haven.policy.classifier import ModelBank, features, sentences, weighted

    lighter = msgspec.structs.replace(DESPAIR, name="lighter", bias=0.5)
    bank = ModelBank([DESPAIR, lighter])
    counts = features(sentences(" ".join(words)))
    for model, probability in zip(bank.models, bank.probabilities(counts), strict=True):
        z = model.bias + sum(v * model.vocabulary[f][1] for f, v in weighted(model, counts).items())
        assert probability == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-9, abs=1e-12)
