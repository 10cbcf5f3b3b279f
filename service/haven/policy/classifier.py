"""Learned text models: how a post is turned into features and scored. Pure, no I/O.

A model is a linear classifier over the words and word pairs of the engine's normalised
text (the same folding the phrase matchers see), weighted by sublinear term frequency
and inverse document frequency and scaled to unit length, as in Joachims' and Manning
et al.'s classic text classifiers. Training (`haven models train`) featurises with these
same functions, so a score here is exactly the score the cross-validation measured.

Scores are explainable: the score is a sum over features, so each sentence's share is
the sum of its features' terms, and the sentences that pushed the score up most are the
evidence a moderator sees.
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import msgspec

from haven.policy import compiled

# Words (letters, digits, inner apostrophes) and the two punctuation marks that carry tone.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?]")
# A sentence ends at . ! ? or a line break; features never straddle two sentences.
_SENTENCE = re.compile(r"[^.!?\s][^.!?\n]*[.!?]*")
MAX_FEATURE_CHARS = 60  # longer "words" (URLs, base64) carry no signal and bloat vocabularies


class ModelCard(msgspec.Struct, kw_only=True, frozen=True):
    """What a model is for, what it learned from, and how well it did on data it did not see."""

    summary: str
    task: str
    positive: str
    trained_on: list[str]
    licences: list[str]
    created: str
    threshold_rule: str
    figures: dict[str, float] = {}
    thresholds: list[dict[str, float]] = []


class TextModel(msgspec.Struct, kw_only=True, frozen=True):
    """A trained model as stored in `<policy folder>/models/<name>.json.gz`."""

    name: str
    format: int
    bias: float
    # feature -> (inverse document frequency, weight)
    vocabulary: dict[str, tuple[float, float]]
    threshold: float
    card: ModelCard
    # Texts shorter than this are left to the rules: a score resting on a dozen words is
    # mostly the bias and one or two features, too little to act on.
    min_words: int = 0
    version: str = ""


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # offsets into the normalised text
    end: int
    words: int
    features: tuple[str, ...]  # its words and adjacent word pairs, in order, repeats kept


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a ModelBank found in one text: enough to score it with any model and explain it."""

    counts: Counter[str]
    log_odds: tuple[float, ...]  # per model, in bank order
    known: list[str]  # the features some model knows
    rows: list[int]  # each known feature's row in the bank's table
    divisors: tuple[float, ...]  # per model: the length of the text's tf-idf vector (1.0 for none)


@dataclass(frozen=True, slots=True)
class Score:
    probability: float
    # (sentence index, contribution to the log-odds), strongest first, positive only
    drivers: tuple[tuple[int, float], ...]


def tokens(text: str) -> list[str]:
    found: list[str] = _TOKEN.findall(text)
    # Over-long tokens are rare: filtered only where the longest one says there is one.
    if found and max(map(len, found)) > MAX_FEATURE_CHARS:
        return [t for t in found if len(t) <= MAX_FEATURE_CHARS]
    return found


def features(parts: Iterable[Sentence]) -> Counter[str]:
    """The words and adjacent word pairs of these sentences (pairs never straddle two)."""
    return Counter(itertools.chain.from_iterable(s.features for s in parts))


def _sentences_python(text: str) -> list[Sentence]:
    """The sentences of normalised text; those without a word are left out. The twin of
    the compiled `sentences`, with the regular expressions it reads like."""
    result = []
    for found in _SENTENCE.finditer(text):
        sentence = found.group()
        words = tokens(sentence)
        if words:
            start = found.start()
            pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
            result.append(Sentence(start, start + len(sentence.rstrip()), len(words), (*words, *pairs)))
    return result


def _sentences_compiled(text: str) -> list[Sentence]:
    assert compiled.core is not None
    found: list[Sentence] = compiled.core.sentences(text, MAX_FEATURE_CHARS, Sentence)
    return found


# The compiled twin where the extension is built (see haven.policy.compiled).
sentences: Callable[[str], list[Sentence]] = _sentences_compiled if compiled.core is not None else _sentences_python


def weighted(model: TextModel, counts: Counter[str]) -> dict[str, float]:
    """Each known feature's tf-idf value, the vector scaled to unit length: what the model's
    weights multiply (training builds its matrix from this)."""
    vocabulary = model.vocabulary
    values = {f: (1.0 + math.log(n)) * vocabulary[f][0] for f, n in counts.items() if f in vocabulary}
    norm = math.sqrt(sum(v * v for v in values.values()))
    if norm == 0.0:
        return {}
    return {f: v / norm for f, v in values.items()}


def _assess_python(
    counts: Counter[str], index: dict[str, int], table: array[float], bias: tuple[float, ...]
) -> tuple[tuple[float, ...], list[str], list[int], tuple[float, ...]]:
    """Every model's log-odds for a text with these feature counts (see ModelBank), with the
    known features, their rows in `table` and each model's divisor.

    The sums run feature by feature in the counts' order, one after another: the compiled
    twin adds in the same order, so the two give the same bits, on any machine (a BLAS
    product would not: its order of additions depends on the CPU's kernel)."""
    models = len(bias)
    width = 2 * models
    known = [feature for feature in counts if feature in index]
    rows = [index[feature] for feature in known]
    tf = [1.0 + math.log(counts[feature]) for feature in known]
    squares = [0.0] * models
    for t, row in zip(tf, rows, strict=True):
        t2 = t * t
        base = row * width + models
        for j in range(models):
            squares[j] += t2 * table[base + j]
    divisors = tuple(math.sqrt(v) if v > 0.0 else 1.0 for v in squares)
    sums = [0.0] * models
    for t, row in zip(tf, rows, strict=True):
        base = row * width
        for j in range(models):
            sums[j] += t * table[base + j] / divisors[j]
    return tuple(b + total for b, total in zip(bias, sums, strict=True)), known, rows, divisors


# The compiled twin where the extension is built (see haven.policy.compiled).
_assess: Callable[
    [Counter[str], dict[str, int], array[float], tuple[float, ...]],
    tuple[tuple[float, ...], list[str], list[int], tuple[float, ...]],
] = compiled.core.assess if compiled.core is not None else _assess_python


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class ModelBank:
    """Every model of a policy set behind one index, so that each feature of a post is looked
    up once for all of them, and the arithmetic is two short sums per model.

    Per feature and model it keeps idf·weight and idf², from which a post's log-odds is
    bias + Σ tf·idf·w / √(Σ (tf·idf)²), tf = 1 + log(count): the same number as scoring
    `weighted` features with the model's weights, without building the vector.
    """

    def __init__(self, models: Iterable[TextModel]) -> None:
        self.models = tuple(models)
        self.position = {model.name: i for i, model in enumerate(self.models)}
        rows: dict[str, int] = {}
        for model in self.models:
            for feature in model.vocabulary:
                rows.setdefault(feature, len(rows))
        self._rows = rows
        count = len(self.models)
        # A row per feature: idf·weight for each model, then idf² for each model. Plain
        # doubles in one array: the C loops read it in place.
        table = array("d", bytes(8 * 2 * count * len(rows)))
        for i, model in enumerate(self.models):
            for feature, (idf, weight) in model.vocabulary.items():
                base = rows[feature] * 2 * count
                table[base + i] = idf * weight
                table[base + count + i] = idf * idf
        self._table = table
        self._bias = tuple(model.bias for model in self.models)

    def assess(self, counts: Counter[str]) -> Assessment:
        """Every model's log-odds for a text with these feature counts, with what explaining
        a score needs: one pass over the features for all models."""
        log_odds, known, rows, divisors = _assess(counts, self._rows, self._table, self._bias)
        return Assessment(counts, log_odds, known, rows, divisors)

    def probability(self, assessment: Assessment, name: str) -> float:
        return _sigmoid(assessment.log_odds[self.position[name]])

    def drivers(self, assessment: Assessment, name: str, parts: Sequence[Sentence]) -> tuple[tuple[int, float], ...]:
        """The sentences that pushed the model's score up, strongest first, with their share
        of the log-odds: each sentence gets its own occurrences' part of each feature's term,
        so the shares and the bias add up to the log-odds."""
        position = self.position[name]
        width = 2 * len(self.models)
        divisor = assessment.divisors[position]
        total = assessment.counts
        table = self._table
        per_use: dict[str, float] = {}
        for feature, row in zip(assessment.known, assessment.rows, strict=True):
            # The feature's term in the log-odds, as `assess` added it up.
            term = (1.0 + math.log(total[feature])) * table[row * width + position] / divisor
            # Only the features that push the score up can make a sentence a driver.
            if term > 0:
                per_use[feature] = term / total[feature]
        drivers = []
        for i, part in enumerate(parts):
            share = float(sum(per_use.get(f, 0.0) for f in part.features))
            if share > 0:
                drivers.append((i, share))
        drivers.sort(key=lambda d: (-d[1], d[0]))
        return tuple(drivers)

    def probabilities(self, counts: Counter[str]) -> tuple[float, ...]:
        """Each model's probability for a text with these feature counts, in bank order."""
        return tuple(_sigmoid(z) for z in self.assess(counts).log_odds)

    def score(self, name: str, parts: Sequence[Sentence]) -> Score:
        """One model's probability for the text made of `parts`, and which sentences drove it."""
        assessment = self.assess(features(parts))
        return Score(self.probability(assessment, name), self.drivers(assessment, name, parts))


def score(model: TextModel, parts: Sequence[Sentence]) -> Score:
    """One model's score of the text made of `parts`, with the sentences that drove it."""
    return ModelBank([model]).score(model.name, parts)
