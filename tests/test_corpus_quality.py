"""Judgment quality of the default policy pack on the project's labelled corpus.

Every post in `tests/corpus/*.jsonl` is judged by the real engine with the
policies in `policies/`; the tests assert per-category recall and precision
thresholds and the hard guarantees of issue 3 (no idiom, denial or
resource-sharing post is ever escalated; crisis recall at least 0.97).
The format of the corpus is described in `tests/corpus/README.md`.
Run `pytest tests/test_corpus_quality.py -s` to see the whole table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haven.domain import Author, Decision, Post, Verdict
from haven.policy import evaluate, load_policy_set

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
POLICIES = ROOT / "policies"
NOW = datetime(2026, 1, 1, tzinfo=UTC)

EXPECT_KEYS = {"escalate", "verdict_at_least", "verdict_at_most", "priority", "categories", "may"}

# Per category: (minimum recall, minimum precision). Categories are prefixes:
# "crisis" counts every crisis.* rule.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "crisis": (0.97, 0.95),
    "crisis.imminent": (0.90, 0.85),
    "crisis.suicide": (0.90, 0.85),
    "crisis.self-harm": (0.90, 0.85),
    "crisis.concern": (0.90, 0.85),
    "community.harassment": (0.95, 0.95),
    "community.hostility": (0.85, 0.85),
    "community.invalidation": (0.80, 0.85),
    "community.competition": (0.80, 0.85),
    "misinformation": (0.90, 0.90),
    "misinformation.medication": (0.80, 0.80),
    "misinformation.dosing": (0.80, 0.80),
    "misinformation.cure": (0.80, 0.80),
    "misinformation.vaccine": (0.80, 0.80),
    "misinformation.denial": (0.80, 0.80),
    "misinformation.selling": (0.80, 0.80),
    "misinformation.public-health": (0.75, 0.80),
    "confidentiality": (0.90, 0.90),
    "confidentiality.contact": (0.85, 0.85),
    "confidentiality.financial": (0.95, 0.95),
    "confidentiality.identity": (0.80, 0.80),
    "confidentiality.disclosure": (0.80, 0.80),
    "confidentiality.screenshot": (0.75, 0.80),
}

# Tags whose posts must never be escalated (issue 3's hard guarantee), and
# tags whose posts should almost never be (share of them escalated, at most).
NEVER_ESCALATED = ("idiom", "denial", "resource-sharing")
RARELY_ESCALATED = {"past-tense-recovery": 0.05, "discussion": 0.05, "medication-talk": 0.0, "benign": 0.02}


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    expect: dict[str, object]
    tags: tuple[str, ...]
    locale: str = "en-US"

    @property
    def categories(self) -> list[str]:
        return list(self.expect.get("categories", []))  # type: ignore[call-overload]

    @property
    def tolerated(self) -> list[str]:
        return self.categories + list(self.expect.get("may", []))  # type: ignore[call-overload]


def load_corpus(directory: Path = CORPUS) -> list[Item]:
    items = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            assert set(raw) <= {"id", "text", "expect", "tags", "locale"}, f"{path.name}:{number}: unknown keys"
            assert set(raw["expect"]) <= EXPECT_KEYS, f"{path.name}:{number}: unknown expect keys"
            tags = tuple(raw.get("tags", ()))
            items.append(Item(raw["id"], raw["text"], raw["expect"], tags, raw.get("locale", "en-US")))
    return items


def judge(policy_set: object, item: Item) -> Decision:
    post = Post(
        platform="corpus",
        community="corpus",
        external_id=item.id,
        author=Author(id="member"),
        body=item.text,
        locale=item.locale,
    )
    return evaluate(policy_set, post, now=NOW)  # type: ignore[arg-type]


def fired(decision: Decision, prefix: str) -> bool:
    return any(_under(category, prefix) for category in decision.categories)


def _under(category: str, prefix: str) -> bool:
    return category == prefix or category.startswith(prefix + ".")


def escalated(decision: Decision) -> bool:
    return decision.verdict == Verdict.ESCALATE.label


def priority(decision: Decision) -> str | None:
    for action in decision.actions:
        if action.kind == "escalate":
            return str(action.params.get("priority", "normal"))
    return None


@dataclass(frozen=True)
class Score:
    category: str
    expected: int
    predicted: int
    correct: int
    misses: tuple[str, ...]
    false_alarms: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def _family(category: str) -> str:
    return category.split(".", 1)[0]


def score(category: str, judged: Iterable[tuple[Item, Decision]]) -> Score:
    """Recall over the items that expect `category`; precision over those where it fired.

    A sibling in the same family is not a false alarm: a post expected as
    `crisis.imminent` that also fires `crisis.suicide` is judged right, since
    both escalate; the verdict tests hold the actions to account.
    """
    expected = predicted = correct = 0
    misses, false_alarms = [], []
    for item, decision in judged:
        wanted = any(_under(c, category) for c in item.categories)
        tolerated = any(_family(c) == _family(category) for c in item.tolerated)
        hit = fired(decision, category)
        expected += wanted
        if hit and (wanted or not tolerated):
            predicted += 1
        if wanted and hit:
            correct += 1
        elif wanted:
            misses.append(item.id)
        elif hit and not tolerated:
            false_alarms.append(item.id)
    return Score(category, expected, predicted, correct, tuple(misses), tuple(false_alarms))


@pytest.fixture(scope="module")
def judged() -> list[tuple[Item, Decision]]:
    policy_set = load_policy_set(POLICIES)
    return [(item, judge(policy_set, item)) for item in load_corpus()]


def table(judged: list[tuple[Item, Decision]]) -> str:
    """Markdown: per category recall and precision against the thresholds, then the hard cases."""
    lines = [
        f"corpus: {len(judged)} posts",
        "",
        "| category | n | recall | precision | thresholds (recall, precision) |",
        "|---|---:|---:|---:|---|",
    ]
    for category, (min_recall, min_precision) in THRESHOLDS.items():
        s = score(category, judged)
        lines.append(
            f"| {category} | {s.expected} | {s.recall:.3f} | {s.precision:.3f} | {min_recall:.2f}, {min_precision:.2f} |"
        )
    crisis = [(i, d) for i, d in judged if i.expect.get("escalate") is True]
    caught = sum(escalated(d) for _, d in crisis)
    lines += ["", "| hard case | posts | escalated |", "|---|---:|---:|"]
    lines.append(f"| crisis posts (must escalate) | {len(crisis)} | {caught} ({caught / len(crisis):.1%}) |")
    for tag in (*NEVER_ESCALATED, *RARELY_ESCALATED):
        tagged = [d for i, d in judged if tag in i.tags]
        lines.append(f"| {tag} | {len(tagged)} | {sum(escalated(d) for d in tagged)} |")
    return "\n".join(lines)


def test_corpus_is_large_varied_and_well_formed() -> None:
    items = load_corpus()
    assert len(items) >= 400
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    texts = [item.text for item in items]
    assert len(texts) == len(set(texts)), "duplicate texts"
    tags = {tag for item in items for tag in item.tags}
    for needed in (*NEVER_ESCALATED, "past-tense-recovery", "third-person-concern", "coded",
                   "leetspeak", "homoglyph", "harassment-kys", "imminent", "self-harm", "pii"):  # fmt: skip
        assert needed in tags, f"no corpus item is tagged {needed!r}"
    known = set(THRESHOLDS)
    for item in items:
        for category in item.tolerated:
            assert category in known, f"{item.id}: category {category!r} has no threshold"


@pytest.mark.parametrize("category", list(THRESHOLDS))
def test_category_recall_and_precision(judged: list[tuple[Item, Decision]], category: str) -> None:
    min_recall, min_precision = THRESHOLDS[category]
    s = score(category, judged)
    assert s.expected > 0, f"no corpus item expects {category}"
    assert s.recall >= min_recall, f"{category} recall {s.recall:.3f} < {min_recall}; misses: {s.misses}"
    assert s.precision >= min_precision, (
        f"{category} precision {s.precision:.3f} < {min_precision}; false alarms: {s.false_alarms}"
    )


def test_crisis_posts_are_escalated(judged: list[tuple[Item, Decision]]) -> None:
    crisis = [(i, d) for i, d in judged if i.expect.get("escalate") is True]
    missed = [i.id for i, d in crisis if not escalated(d)]
    recall = 1 - len(missed) / len(crisis)
    assert recall >= 0.97, f"crisis escalation recall {recall:.3f}; missed {missed}"


@pytest.mark.parametrize("tag", NEVER_ESCALATED)
def test_hard_negatives_are_never_escalated(judged: list[tuple[Item, Decision]], tag: str) -> None:
    tagged = [(i, d) for i, d in judged if tag in i.tags]
    assert tagged
    wrong = {i.id: d.categories for i, d in tagged if escalated(d)}
    assert not wrong, f"{tag} posts escalated: {wrong}"


@pytest.mark.parametrize("tag", list(RARELY_ESCALATED))
def test_benign_posts_are_rarely_escalated(judged: list[tuple[Item, Decision]], tag: str) -> None:
    tagged = [(i, d) for i, d in judged if tag in i.tags]
    assert tagged
    wrong = {i.id: d.categories for i, d in tagged if escalated(d)}
    assert len(wrong) / len(tagged) <= RARELY_ESCALATED[tag], f"{tag} posts escalated: {wrong}"


def test_telling_someone_to_die_is_harassment_not_crisis(judged: list[tuple[Item, Decision]]) -> None:
    kys = [(i, d) for i, d in judged if "harassment-kys" in i.tags]
    wrong = {i.id: (d.verdict, d.categories) for i, d in kys
             if fired(d, "crisis") or d.verdict != Verdict.REMOVE.label}  # fmt: skip
    assert not wrong, f"harassment judged as crisis or not removed: {wrong}"


def test_imminent_risk_is_urgent(judged: list[tuple[Item, Decision]]) -> None:
    imminent = [(i, d) for i, d in judged if i.expect.get("priority") == "urgent"]
    urgent = [i for i, d in imminent if priority(d) == "urgent"]
    share = len(urgent) / len(imminent)
    slow = [i.id for i, d in imminent if priority(d) != "urgent"]
    assert share >= 0.9, f"only {share:.2f} of imminent posts escalated at urgent priority; {slow}"


def test_crisis_posts_stay_up_and_get_resources(judged: list[tuple[Item, Decision]]) -> None:
    for item, decision in judged:
        if not fired(decision, "crisis"):
            continue
        kinds = {a.kind for a in decision.actions}
        # Held when it also breaks a rule of its own (a retold confidence: "Paula said on the
        # call she's been self-harming" alerts the moderators and stays out of public view).
        if not (
            fired(decision, "community") or fired(decision, "misinformation") or fired(decision, "confidentiality")
        ):
            assert not kinds & {"remove", "hold"}, f"{item.id}: crisis post removed or held"
        replies = [a for a in decision.actions if a.kind == "reply" and a.params.get("private")]
        assert replies, f"{item.id}: no private reply with resources"


def test_verdict_bounds(judged: list[tuple[Item, Decision]]) -> None:
    wrong = {}
    for item, decision in judged:
        verdict = Verdict.parse(decision.verdict)
        low = item.expect.get("verdict_at_least")
        high = item.expect.get("verdict_at_most")
        if (low and verdict < Verdict.parse(str(low))) or (high and verdict > Verdict.parse(str(high))):
            wrong[item.id] = decision.verdict
        if "escalate" in item.expect and escalated(decision) != item.expect["escalate"]:
            wrong[item.id] = decision.verdict
    share = 1 - len(wrong) / len(judged)
    assert share >= 0.93, f"{share:.3f} of verdicts within bounds\n{table(judged)}\nwrong: {wrong}"


def test_print_table(judged: list[tuple[Item, Decision]]) -> None:
    """Not an assertion: `pytest -s` shows the per-category table."""
    print("\n" + table(judged))
