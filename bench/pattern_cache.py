"""What the RE2 pattern sets cost a post, against what the CPU's caches still hold of them,
and what judging posts in batches (`haven.policy.evaluate_in_batches`) gains from it.

    taskset -c 1 .venv/bin/python bench/pattern_cache.py > bench/results/pattern-cache.json

The sets' look at a post (`PatternSearch.candidates`, one DFA pass a set over the folded
text) is timed four ways over the same posts, each three passes, the last reported:

* **alone**: the looks one after another, nothing else running between them;
* **after N MiB**: before each look, N MiB of memory are written (one byte a cache line),
  as the rest of a post's judging does between two looks; N = 1, 4, 16;
* **in the engine, one by one**: each post judged whole (`evaluate`, rules alone), the look
  inside it timed by wrapping `PatternSearch.candidates`;
* **in the engine, in batches**: the same through `evaluate_in_batches` (batches of 100,
  each batch's patterns found before any of its posts is judged).

If the first is much cheaper than the third and the second climbs towards it as N grows,
the look is bound by memory, not instructions: its DFA states are evicted between posts.

Then whole posts: posts/s judged one by one and in batches, in one process, block of 100
by block of 100, the two ways alternating which goes first, so that the machine's drift
and a block's texts touch both alike (`--blocks-passes` passes over the posts); and the
same for the API's crisis triage of a request's posts (the whole pack's triage, its model
included): each post alone (`PolicySet.is_crisis_prone`) and together (`crisis_prone`).
Kinds: `real` and `dense` posts as `bench/engine_speed.py` makes them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))
sys.path.insert(0, str(ROOT / "bench"))

from engine_speed import NOW, tree_commit, workload  # noqa: E402
from haven.domain import Author, Post  # noqa: E402
from haven.policy import PolicySet, crisis_prone, evaluate, evaluate_in_batches, load_policy_set  # noqa: E402
from haven.policy.engine import BATCH_SIZE, post_text  # noqa: E402
from haven.policy.normalise import normalise  # noqa: E402
from haven.policy.patterns import PatternSearch  # noqa: E402

PASSES = 3
CACHE_LINE = 64


def _timed_looks(search: PatternSearch, datas: list[bytes], before: Callable[[], None]) -> float:
    """µs a post of the sets' look, `before` run (untimed) ahead of each."""
    spent = 0.0
    for data in datas:
        before()
        start = time.perf_counter()
        search.candidates(data)
        spent += time.perf_counter() - start
    return spent / len(datas) * 1e6


def _in_engine(posts: list[Post], policy_set: PolicySet, batches: bool) -> float:
    """µs a post of the sets' look when each post is judged whole, one by one or in batches."""
    spent = 0.0
    look = PatternSearch.candidates

    def timed(self: PatternSearch, data: bytes) -> list[int]:
        nonlocal spent
        start = time.perf_counter()
        try:
            return look(self, data)
        finally:
            spent += time.perf_counter() - start

    PatternSearch.candidates = timed  # type: ignore[method-assign]
    try:
        for _ in range(PASSES):
            spent = 0.0
            _judge(policy_set, posts, batches)
    finally:
        PatternSearch.candidates = look  # type: ignore[method-assign]
    return spent / len(posts) * 1e6


def _judge(policy_set: PolicySet, posts: list[Post], batches: bool) -> None:
    if batches:
        for _ in evaluate_in_batches(policy_set, posts, now=lambda _: NOW, size=BATCH_SIZE):
            pass
    else:
        for post in posts:
            evaluate(policy_set, post, now=NOW)


def _alternating(
    posts: list[Post], passes: int, one: Callable[[list[Post]], object], other: Callable[[list[Post]], object]
) -> tuple[float, float]:
    """CPU seconds of `one` and of `other` over the posts, block of 100 by block of 100 in one
    process, the two alternating which goes first."""
    spent = [0.0, 0.0]
    for _ in range(passes):
        for number, first in enumerate(range(0, len(posts), BATCH_SIZE)):
            block = posts[first : first + BATCH_SIZE]
            for side in (0, 1) if number % 2 == 0 else (1, 0):
                start = time.process_time()
                (one, other)[side](block)
                spent[side] += time.process_time() - start
    return spent[0], spent[1]


def _interleaved(posts: list[Post], policy_set: PolicySet, passes: int) -> dict[str, float]:
    """Posts/s one by one and in batches."""
    alone, batched = _alternating(
        posts, passes, lambda block: _judge(policy_set, block, False), lambda block: _judge(policy_set, block, True)
    )
    judged = passes * len(posts)
    return {
        "one_by_one_posts_per_s": round(judged / alone),
        "in_batches_posts_per_s": round(judged / batched),
        "speed_up": round(alone / batched, 3),
    }


def _triage_interleaved(posts: list[Post], passes: int) -> dict[str, float]:
    """µs a post of the API's crisis triage (the whole pack's, models included), each post
    alone and a request's 100 posts together (`crisis_prone`)."""
    policy_set = load_policy_set(ROOT / "policies")
    # Warm, both ways, before anything is timed: the first post to reach a model imports numpy
    # and reads the model's table, a cost a running API paid long before.
    crisis_prone([(policy_set, post) for post in posts[:50]])
    alone, together = _alternating(
        posts, passes,
        lambda block: [policy_set.is_crisis_prone(post) for post in block],
        lambda block: crisis_prone([(policy_set, post) for post in block]),
    )  # fmt: skip
    judged = passes * len(posts)
    return {
        "each_alone_us": round(alone / judged * 1e6, 1),
        "together_us": round(together / judged * 1e6, 1),
        "speed_up": round(alone / together, 3),
    }


def measure(kind: str, count: int, sizes: list[int], passes: int) -> dict[str, Any]:
    policy_set = load_policy_set(ROOT / "policies", rules_only=True)
    search = policy_set.patterns
    posts = [Post(platform="bench", community="bench", external_id=str(i), author=Author(id=f"a{i % 97}"), body=t)
             for i, t in enumerate(workload(kind, count))]  # fmt: skip
    datas = [normalise(post_text(post)[0]).text.encode("utf-8", "surrogatepass") for post in posts]
    result: dict[str, Any] = {"posts": len(datas), "sets": [len(entries) for _, entries in search._sets]}
    for size in [0, *sizes]:
        scratch = bytearray(size << 20)
        zeros = bytes(len(scratch) // CACHE_LINE)

        def touch(scratch: bytearray = scratch, zeros: bytes = zeros) -> None:
            if scratch:
                scratch[::CACHE_LINE] = zeros

        figure = 0.0
        for _ in range(PASSES):
            figure = _timed_looks(search, datas, touch)
        result["alone_us" if size == 0 else f"after_{size}_mib_us"] = round(figure, 1)
    for post in posts[:50]:  # warm caches that a long-running worker has warm
        evaluate(policy_set, post, now=NOW)
    result["in_engine_one_by_one_us"] = round(_in_engine(posts, policy_set, batches=False), 1)
    result["in_engine_in_batches_us"] = round(_in_engine(posts, policy_set, batches=True), 1)
    result["whole_posts"] = _interleaved(posts, policy_set, passes)
    result["crisis_triage"] = _triage_interleaved(posts, passes)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--kinds", nargs="*", default=["real", "dense"])
    parser.add_argument("--mib", type=int, nargs="*", default=[1, 4, 16], help="memory written between looks")
    parser.add_argument("--blocks-passes", type=int, default=3, help="passes of the one-by-one/batches comparison")
    args = parser.parse_args()
    report = {
        "command": "bench/pattern_cache.py " + " ".join(sys.argv[1:]),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": tree_commit(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "µs a post of the sets' look": {
            kind: measure(kind, args.count, args.mib, args.blocks_passes) for kind in args.kinds
        },
    }
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
