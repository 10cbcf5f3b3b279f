"""The engine on the pipeline's posts: what judging and the API's triage cost a post.

`bench/pipeline.py` sends the texts of `tests/corpus/` (short: 73 characters on average),
not the long dense posts of `bench/engine_speed.py`, and judges them with the default pack,
learned models included. This times, in CPU on one core (best of five passes over every
text three times), the worker's `evaluate` with the pack and with its rules alone, and the
API's triage (`is_crisis_prone`) with and without the crisis model. The same for posts of
the length members write (`real_posts`: the C-SSRS Reddit posts `bench/engine_speed.py`
judges, 200–2,000 characters), where the triage's model costs most.

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

from engine_speed import workload  # noqa: E402
from haven.domain import Author, Post  # noqa: E402
from haven.policy import engine, evaluate, load_policy_set  # noqa: E402
from haven.policy.compiler import ClassifierLeaf  # noqa: E402
from pipeline import committed_policies, corpus_texts  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def microseconds_each(items: Sequence[T], work: Callable[[T], object]) -> float:
    """CPU µs `work` takes an item, best of five passes after 50 warm calls."""
    return side_by_side(items, {"work": work})["work"]


def side_by_side(items: Sequence[T], works: dict[str, Callable[[T], object]]) -> dict[str, float]:
    """CPU µs each of `works` takes an item, best of five passes each, the works' passes in
    turn, so load that drifts on a shared machine touches each alike; 50 warm calls first."""
    for work in works.values():
        for item in items[:50]:  # warm what a long-running process has warm
            work(item)
    best = dict.fromkeys(works, float("inf"))
    for _ in range(5):
        for name, work in works.items():
            started = time.process_time()
            for item in items:
                work(item)
            best[name] = min(best[name], time.process_time() - started)
    return {name: round(seconds / len(items) * 1e6, 1) for name, seconds in best.items()}


def _posts(texts: list[str]) -> list[Post]:
    return [
        Post(platform="bench", community="bench", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)
        for i, text in enumerate(texts)
    ]


def main() -> int:
    ordinary, crisis = corpus_texts()
    texts = ordinary + crisis
    posts = _posts(texts * 3)
    policies = committed_policies()
    pack = load_policy_set(policies)
    rules = load_policy_set(policies, rules_only=True)
    result: dict[str, object] = {
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "evaluate_us": microseconds_each(posts, lambda p: evaluate(pack, p, now=NOW)),
        "evaluate_rules_only_us": microseconds_each(posts, lambda p: evaluate(rules, p, now=NOW)),
    }
    # The triage as it runs (the escalating rules compiled apart, `PolicySet.triage`) and over
    # the whole pack, as it ran before, in turn.
    part = pack.triage
    result["triage_part"] = {
        "rules": [len(part.rules), len(pack.rules)],
        "phrase_keys": [len(part.automata.plain), len(pack.automata.plain)],
        "patterns": [len(part.patterns.patterns), len(pack.patterns.patterns)],
        "models": [sorted(part.models), sorted(pack.models)],
    }
    triage = {"triage_us": pack.is_crisis_prone, "triage_whole_pack_us": lambda p: engine.is_crisis_prone(pack, p)}
    result.update(side_by_side(posts, triage))
    real = _posts(workload("real", 3000))
    result["real_posts"] = {
        "texts": len(real),
        "mean_chars": round(sum(len(p.body) for p in real) / len(real), 1),
        "evaluate_us": microseconds_each(real, lambda p: evaluate(pack, p, now=NOW)),
        **side_by_side(real, triage),
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
