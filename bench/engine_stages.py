"""Where one core's time goes when the rules judge a post: each stage of `evaluate_in_batches`,
and each kind of matcher within the rule walk.

    taskset -c 0 .venv/bin/python bench/engine_stages.py                # dense posts
    taskset -c 0 .venv/bin/python bench/engine_stages.py --posts real   # C-SSRS Reddit posts

The posts are `bench/engine_speed.py`'s (the same seeds), judged with the default pack's
rules alone in batches of 100, as `haven backtest --rules-only` and a worker judge them. The
engine's own functions are wrapped with a clock (`time.perf_counter`), so nothing of its
logic is copied here; each figure is µs a post, the wall time inside the wrapped calls.
A wrapper costs about 0.1 µs a call, and the matchers' figures hold what they are the first
to ask for (a post's words are split when a matcher first counts words; whichever matcher
that is pays for it), so read them as where to look, not as what removing one would save.
The first pass warms what a worker has warm; the second is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "service"))

from engine import as_posts  # noqa: E402
from engine_speed import NOW, tree_commit, workload  # noqa: E402
from haven.domain import Post  # noqa: E402
from haven.policy import actions, compiled, engine, load_policy_set, phrase_search, scan  # noqa: E402
from haven.policy.compiler import Combinator  # noqa: E402

spent: Counter[str] = Counter()
calls: Counter[str] = Counter()


def clocked(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
            calls[name] += 1

    return timed


def options(description: str) -> argparse.Namespace:
    """The posts to judge: `--posts` dense or real, `--count` of them."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", choices=("dense", "real"), default="dense")
    parser.add_argument("--count", type=int, default=3000)
    return parser.parse_args()


def bench_posts(kind: str, count: int) -> list[Post]:
    """`bench/engine_speed.py`'s posts of that kind (the same seeds)."""
    return as_posts(workload(kind, count))


def judge_twice(posts: list[Post], before_each: Callable[[], None]) -> None:
    """Judges the posts with the default pack's rules alone in batches of 100, as `haven
    backtest --rules-only` and a worker do, twice: the first pass warms what a worker has
    warm. `before_each` is called before each pass (to forget the first pass's figures)."""
    policy_set = load_policy_set(ROOT / "policies", rules_only=True)
    for _ in range(2):
        before_each()
        for _ in engine.evaluate_in_batches(policy_set, posts, now=lambda _: NOW):
            pass


def report_head(script: str, kind: str) -> dict[str, Any]:
    """What every report of these benchmarks opens with: its command, when, which tree."""
    return {
        "command": " ".join([script, *sys.argv[1:]]),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": tree_commit(),
        "posts": kind,
    }


def main() -> int:
    args = options(__doc__ or "")
    posts = bench_posts(args.posts, args.count)
    # Stages: the whole of each post's decision, and the parts of it named below (the rest is
    # the decision's own assembly).
    engine.evaluate = clocked("decision (all of it, after preparing)", engine.evaluate)
    engine.prepare = clocked("prepare: fold, pattern sets, pattern hits", engine.prepare)
    engine.TextScan = clocked("scan: phrase automata", scan.TextScan)
    phrase_search.PhraseSearch.collect = clocked(
        "scan, of which the automata's search", phrase_search.PhraseSearch.collect
    )
    engine._candidates = clocked("candidate rules", engine._candidates)
    engine._Judge.rule = clocked("rule walk", engine._Judge.rule)
    engine._Evidence.of = clocked("evidence of matches", engine._Evidence.of)
    engine.merge_actions = clocked("actions merged", actions.merge_actions)
    # Matchers, within the rule walk.
    for kind, judge in list(engine._JUDGE_BY_TYPE.items()):
        if kind is not Combinator:
            engine._JUDGE_BY_TYPE[kind] = clocked(f"  {kind.__name__}", judge)

    def forget() -> None:
        spent.clear()
        calls.clear()

    judge_twice(posts, forget)
    report = {
        **report_head("bench/engine_stages.py", args.posts),
        "count": len(posts),
        "mean_chars": round(sum(len(p.body) for p in posts) / len(posts), 1),
        "compiled_scan": compiled.core is not None,
        # The stages first, then the matchers, each most costly first.
        "us_per_post": {
            name: round(seconds / len(posts) * 1e6, 1)
            for name, seconds in sorted(spent.items(), key=lambda item: (item[0].startswith(" "), -item[1]))
        },
        "calls_per_post": {name: round(count / len(posts), 2) for name, count in sorted(calls.items())},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
