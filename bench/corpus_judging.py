"""The engine on the pipeline's posts: what judging and the API's triage cost a post.

`bench/pipeline.py` sends the texts of `tests/corpus/` (short: 73 characters on average),
not the long dense posts of `bench/engine_speed.py`, and judges them with the default pack,
learned models included. This times, in CPU on one core (best of five passes over every
text three times), the worker's `evaluate` with the pack and with its rules alone, and the
API's triage (`is_crisis_prone`) with and without the crisis model.

    .venv/bin/python bench/corpus_judging.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from haven.domain import Author, Post  # noqa: E402
from haven.policy import engine, evaluate, load_policy_set  # noqa: E402
from haven.policy.compiler import ClassifierLeaf  # noqa: E402
from pipeline import committed_policies, corpus_texts  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def microseconds_each(items: Sequence[T], work: Callable[[T], object]) -> float:
    """CPU µs `work` takes an item, best of five passes after 50 warm calls."""
    for item in items[:50]:  # warm what a long-running process has warm
        work(item)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for item in items:
            work(item)
        best = min(best, time.process_time() - started)
    return round(best / len(items) * 1e6, 1)


def main() -> int:
    ordinary, crisis = corpus_texts()
    texts = ordinary + crisis
    posts = [
        Post(platform="bench", community="bench", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)
        for i, text in enumerate(texts * 3)
    ]
    policies = committed_policies()
    pack = load_policy_set(policies)
    rules = load_policy_set(policies, rules_only=True)
    result = {
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "evaluate_us": microseconds_each(posts, lambda p: evaluate(pack, p, now=NOW)),
        "evaluate_rules_only_us": microseconds_each(posts, lambda p: evaluate(rules, p, now=NOW)),
        "triage_us": microseconds_each(posts, pack.is_crisis_prone),
    }
    classify = engine._JUDGE_BY_TYPE[ClassifierLeaf]
    engine._JUDGE_BY_TYPE[ClassifierLeaf] = lambda judge, leaf, negations=(): None  # the model never consulted
    try:
        result["triage_without_models_us"] = microseconds_each(posts, pack.is_crisis_prone)
    finally:
        engine._JUDGE_BY_TYPE[ClassifierLeaf] = classify
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
