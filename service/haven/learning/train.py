"""Trains one model per task and writes it with its card, reproducibly.

How a threshold is chosen: five-fold cross-validation, grouped so that one Reddit user's
posts (or one corpus item) never sit on both sides of a fold, gives every development
example a score from a model that did not see it. Each such score is joined with what the
rules alone decided on the example (the pack compiled `rules_only`), because in service a
post is flagged when the rules or the model fire. The threshold is the lowest at which
every cap of the task still holds (e.g. at most 7% of supportive C-SSRS posts escalated,
model and rules together), which is the highest recall the caps allow. The caps sit below
the issue's limits on purpose: thresholds chosen at a limit on development data overshoot
it on unseen data. The final model is then fitted on all development examples.

Needs the `train` extra (scikit-learn, numpy, scipy); the service itself never does.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from haven.domain import Author, Post
from haven.learning.datasets import Example, Task
from haven.policy import classifier
from haven.policy.classifier import ModelCard, TextModel
from haven.policy.compiler import PolicySet
from haven.policy.engine import evaluate
from haven.policy.loader import MODEL_SUFFIX
from haven.policy.normalise import normalise

FOLDS = 5
MIN_DOCUMENTS = 2  # a feature seen in one document only is noise, not language
MAX_FEATURES = 60_000
REGULARISATION = 4.0  # logistic regression's C, chosen once on the crisis task's folds
SEED = 20261202
TABLE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Report:
    model: TextModel
    card_markdown: str


def featurise(text: str) -> tuple[Counter[str], int]:
    """Exactly what the engine scores: the normalised text's sentences' features, together,
    and how many words they hold."""
    parts = classifier.sentences(normalise(text).text)
    return classifier.features(parts), sum(s.words for s in parts)


def assign_folds(examples: Sequence[Example]) -> list[int]:
    """A fold per example, the same for every example of a group; seeded, so reproducible."""
    groups = sorted({e.group for e in examples})
    random.Random(SEED).shuffle(groups)  # noqa: S311 - a fixed split, not a secret
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    return [fold_of[e.group] for e in examples]


def _vocabulary(docs: Sequence[Counter[str]]) -> dict[str, float]:
    """Features in at least MIN_DOCUMENTS documents (the most frequent MAX_FEATURES), with
    smoothed inverse document frequencies."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    kept = [f for f, n in df.items() if n >= MIN_DOCUMENTS]
    kept.sort(key=lambda f: (-df[f], f))
    n = len(docs)
    return {f: math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept[:MAX_FEATURES]}


def fit(docs: Sequence[Counter[str]], examples: Sequence[Example]) -> TextModel:
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    idf = _vocabulary(docs)
    index = {f: i for i, f in enumerate(sorted(idf))}
    rows, cols, values = [], [], []
    probe = TextModel(name="", format=1, bias=0.0, vocabulary={f: (v, 0.0) for f, v in idf.items()},
                      threshold=0.5, card=_EMPTY_CARD)  # fmt: skip
    for r, doc in enumerate(docs):
        for feature, value in classifier.weighted(probe, doc).items():
            rows.append(r)
            cols.append(index[feature])
            values.append(value)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(docs), len(index)))
    labels = np.array([e.positive for e in examples], dtype=int)
    weights = np.array([e.weight for e in examples])
    # Balance the classes by weight, so a rare positive class is not drowned.
    for label in (0, 1):
        mask = labels == label
        if mask.any():
            weights[mask] *= len(labels) / (2.0 * weights[mask].sum())
    fitted = LogisticRegression(C=REGULARISATION, max_iter=5000).fit(matrix, labels, sample_weight=weights)
    coefficients = fitted.coef_[0]
    vocabulary = {f: (_round(idf[f]), _round(float(coefficients[i]))) for f, i in index.items()}
    return TextModel(name="", format=1, bias=_round(float(fitted.intercept_[0])), vocabulary=vocabulary,
                     threshold=0.5, card=_EMPTY_CARD)  # fmt: skip


def _round(value: float) -> float:
    return float(f"{value:.5g}")


_EMPTY_CARD = ModelCard(summary="", task="", positive="", trained_on=[], licences=[], created="", threshold_rule="")


def cross_validated(docs: Sequence[Counter[str]], examples: Sequence[Example]) -> list[float | None]:
    """Each evaluated example's score from the fold model that did not see its group."""
    folds = assign_folds(examples)
    scores: list[float | None] = [None] * len(examples)
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != fold]
        bank = classifier.ModelBank([fit([docs[i] for i in train], [examples[i] for i in train])])
        for i, f in enumerate(folds):
            if f == fold and examples[i].evaluated:
                scores[i] = bank.probabilities(docs[i])[0]
    return scores


def rules_flag(
    policy_set: PolicySet, examples: Sequence[Example], flagged: Callable[[dict[str, Any]], bool]
) -> list[bool]:
    """What the rules alone decide on each example, as the service would judge it."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = []
    for i, example in enumerate(examples):
        if not example.evaluated:
            result.append(False)
            continue
        post = Post(platform="training", community="training", external_id=str(i),
                    author=Author(id=f"author-{i}"), body=example.text)  # fmt: skip
        decision = msgspec.to_builtins(evaluate(policy_set, post, now=now))
        result.append(flagged(decision))
    return result


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def choose_threshold(
    task: Task, examples: Sequence[Example], scores: Sequence[float | None], rules: Sequence[bool]
) -> float:
    """The lowest threshold at which every cap holds for model and rules together."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        if scores[i] is not None:
            by_kind[e.kind].append(i)
    candidates = sorted({s for s in scores if s is not None}, reverse=True)
    chosen = 1.0
    for threshold in candidates:
        holds = all(
            _share([rules[i] or (scores[i] or 0.0) >= threshold for i in by_kind.get(kind, [])]) <= cap
            for kind, cap in task.caps
        )
        if not holds:
            break
        chosen = threshold
    return _round(chosen)


def figures(
    examples: Sequence[Example], scores: Sequence[float | None], rules: Sequence[bool], threshold: float
) -> dict[str, dict[str, float]]:
    """Per source label: share flagged by the rules, by the model, and by both together."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        if scores[i] is not None:
            by_kind[e.kind].append(i)
    table = {}
    for kind, indexes in sorted(by_kind.items()):
        model = [(scores[i] or 0.0) >= threshold for i in indexes]
        table[kind] = {
            "n": float(len(indexes)),
            "rules": round(_share([rules[i] for i in indexes]), 4),
            "model": round(_share(model), 4),
            "together": round(_share([rules[i] or m for i, m in zip(indexes, model, strict=True)]), 4),
        }
    return table


def auc(examples: Sequence[Example], scores: Sequence[float | None], positive: str, negative: str) -> float:
    pos = [s for e, s in zip(examples, scores, strict=True) if e.kind == positive and s is not None]
    neg = [s for e, s in zip(examples, scores, strict=True) if e.kind == negative and s is not None]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def train(task: Task, datasets: Path, corpus: Path, rules_only: PolicySet, *, today: str | None = None) -> Report:
    examples = list(task.read(datasets, corpus))
    featurised = [featurise(e.text) for e in examples]
    docs = [doc for doc, _ in featurised]
    # The service never asks the model about texts shorter than min_words: count them as unflagged.
    scores = [
        None if s is None else (s if words >= task.min_words else 0.0)
        for s, (_, words) in zip(cross_validated(docs, examples), featurised, strict=True)
    ]
    rules = rules_flag(rules_only, examples, task.flagged_by)
    threshold = choose_threshold(task, examples, scores, rules)
    per_kind = figures(examples, scores, rules, threshold)
    table = [
        {"threshold": t, **{k: v["together"] for k, v in figures(examples, scores, rules, t).items()}}
        for t in (*TABLE_THRESHOLDS, threshold)
    ]
    negative = task.caps[0][0]
    flat = {f"{kind} {what}": value for kind, row in per_kind.items() for what, value in row.items()}
    areas = {f"AUC {t} vs {negative}": auc(examples, scores, t, negative) for t in task.targets}
    flat.update({k: v for k, v in areas.items() if not math.isnan(v)})
    card = ModelCard(
        summary=task.summary,
        task=task.name,
        positive=task.positive,
        trained_on=[f"{s.folder} (development half)" for s in task.sources] + ["tests/corpus (the project's own)"],
        licences=[f"{s.folder}: {s.licence}" for s in task.sources] + ["tests/corpus: Apache-2.0 (this project)"],
        created=today or datetime.now(UTC).date().isoformat(),
        threshold_rule=(
            f"lowest threshold on {FOLDS}-fold grouped cross-validated scores at which, with the rules, "
            + ", ".join(f"{kind} ≤ {cap:.0%}" for kind, cap in task.caps)
        ),
        figures=flat,
        thresholds=[{k: float(v) for k, v in row.items()} for row in table],
    )
    final = fit(docs, examples)
    model = msgspec.structs.replace(final, name=task.name, threshold=threshold, card=card, min_words=task.min_words)
    return Report(model, card_markdown(model, per_kind))


def card_markdown(model: TextModel, per_kind: dict[str, dict[str, float]]) -> str:
    card = model.card
    lines = [
        f"# Model card: {model.name}",
        "",
        card.summary,
        "",
        f"* Positive class: {card.positive}.",
        f"* Trained: {card.created}, by `haven models train` (service/haven/learning/).",
        "* Kind: logistic regression over word and word-pair tf-idf features of the engine's "
        f"normalised text; {len(model.vocabulary):,} features.",
        f"* Threshold: {model.threshold} ({card.threshold_rule}).",
        f"* Shortest text it judges: {model.min_words} words (shorter ones are left to the rules).",
        "* Trained on: " + "; ".join(card.trained_on) + ".",
        "* Licences of the data: " + "; ".join(card.licences) + ".",
        "",
        "## Cross-validated figures at the threshold (development data, scores from models that did not see the item)",
        "",
        "| source label | n | rules alone | model alone | together |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, row in per_kind.items():
        lines.append(f"| {kind} | {int(row['n'])} | {row['rules']:.1%} | {row['model']:.1%} | {row['together']:.1%} |")
    aucs = {k: v for k, v in card.figures.items() if k.startswith("AUC")}
    lines += ["", ", ".join(f"{k}: {v}" for k, v in aucs.items()) + ".", ""]
    lines += ["## Share flagged (together) per threshold", ""]
    kinds = list(per_kind)
    lines.append("| threshold | " + " | ".join(kinds) + " |")
    lines.append("|---:|" + "---:|" * len(kinds))
    for row in card.thresholds:
        lines.append(f"| {row['threshold']:.3g} | " + " | ".join(f"{row.get(k, 0.0):.1%}" for k in kinds) + " |")
    return "\n".join(lines) + "\n"


def write(report: Report, out: Path) -> Path:
    """Writes `<name>.json.gz` (byte-for-byte reproducible) and `<name>.md`, its card."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{report.model.name}{MODEL_SUFFIX}"
    body = msgspec.json.encode(msgspec.structs.replace(report.model, version=""), order="sorted")
    path.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    (out / f"{report.model.name}.md").write_text(report.card_markdown + f"\nVersion: {version}\n", encoding="utf-8")
    return path
