"""Disclosure and outing rules on posts they were not tuned on (`tests/corpus/held-out/`).

The held-out posts were written before the `retold-private-matter` and
`identity-link` rules, and nobody changes a rule to fit one of them: a miss
here is fixed, if at all, by a general phrasing found in the development set
(`tests/corpus/outing.jsonl`). The floors sit a little under the first run's
figures (docs/quality.md), so a rule change that loses ground on unseen posts
fails. `pytest tests/test_confidentiality_held_out.py -s` prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from haven.domain import Decision
from haven.policy import load_policy_set

from tests.test_corpus_quality import CORPUS, POLICIES, Item, fired, judge, load_corpus

HELD_OUT = CORPUS / "held-out"
# Per category: (minimum recall on the posts that expect it, maximum false-positive rate on the
# posts that expect nothing).
FLOORS = {
    "confidentiality.disclosure": (0.80, 0.05),
    "confidentiality.identity": (0.90, 0.05),
}


@dataclass(frozen=True)
class Rates:
    category: str
    positives: int
    caught: int
    negatives: int
    false_alarms: tuple[str, ...]
    misses: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.caught / self.positives

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_alarms) / self.negatives


def rates(category: str, judged: list[tuple[Item, Decision]]) -> Rates:
    positives = [(i, d) for i, d in judged if category in i.categories]
    negatives = [(i, d) for i, d in judged if not i.categories]
    return Rates(
        category,
        len(positives),
        sum(fired(d, category) for _, d in positives),
        len(negatives),
        tuple(i.id for i, d in negatives if fired(d, category)),
        tuple(i.id for i, d in positives if not fired(d, category)),
    )


@pytest.fixture(scope="module")
def judged() -> list[tuple[Item, Decision]]:
    policy_set = load_policy_set(POLICIES)
    return [(item, judge(policy_set, item)) for item in load_corpus(HELD_OUT)]


def test_held_out_set_has_both_harms_and_the_hard_negatives(judged: list[tuple[Item, Decision]]) -> None:
    tags = {tag for item, _ in judged for tag in item.tags}
    for needed in ("own-story", "advice-to-author", "public-figure", "public-article", "thanks"):
        assert needed in tags, f"no held-out negative tagged {needed!r}"
    for category in FLOORS:
        assert sum(category in item.categories for item, _ in judged) >= 20


@pytest.mark.parametrize("category", list(FLOORS))
def test_held_out_recall_and_false_positive_rate(judged: list[tuple[Item, Decision]], category: str) -> None:
    min_recall, max_fpr = FLOORS[category]
    found = rates(category, judged)
    assert found.recall >= min_recall, f"{category} held-out recall {found.recall:.2f}; misses {found.misses}"
    assert found.false_positive_rate <= max_fpr, f"{category} false alarms {found.false_alarms}"


def test_held_out_posts_are_held_not_removed(judged: list[tuple[Item, Decision]]) -> None:
    """The harm is privacy, not malice: a moderator decides, the author hears privately."""
    for item, decision in judged:
        if not fired(decision, "confidentiality"):
            continue
        kinds = {a.kind for a in decision.actions}
        assert "hold" in kinds and "notify_author" in kinds, item.id
        assert not kinds & {"remove", "silence"}, f"{item.id}: {kinds}"
        public = [a for a in decision.actions if a.kind == "reply" and not a.params.get("private")]
        assert not public, f"{item.id}: a public reply"


def test_print_held_out_table(judged: list[tuple[Item, Decision]]) -> None:
    """Not an assertion: `pytest -s` shows the figures docs/quality.md quotes."""
    print("\n| category | positives | recall | negatives | false positives |\n|---|---:|---:|---:|---:|")
    for category in FLOORS:
        r = rates(category, judged)
        print(
            f"| {category} | {r.positives} | {r.recall:.2f} ({r.caught}) | {r.negatives} "
            f"| {r.false_positive_rate:.2f} ({len(r.false_alarms)}) |"
        )
