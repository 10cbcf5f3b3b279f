"""What the phrase automata's search costs a post when the rest of judging runs between one
post's search and the next, against the same search again at once, its table in the caches.

    taskset -c 0 .venv/bin/python bench/phrase_table.py
    taskset -c 0 .venv/bin/python bench/phrase_table.py --posts real

Dense (or real) posts from `bench/engine_speed.py`, judged with the default pack's rules
alone in batches of 100 (`evaluate_in_batches`). Each search the scan makes
(`PhraseSearch.collect`) is timed, then run once more over the same view at once and timed
again (its hits thrown away): the first is what judging pays, the second what the search
costs with its table warm. Two passes over the posts; the second is reported, µs a post.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "service"))

from engine_stages import bench_posts, judge_twice, options, report_head  # noqa: E402
from haven.policy import phrase_search  # noqa: E402

spent = {"in the flow": 0.0, "again at once": 0.0}


def main() -> int:
    args = options(__doc__ or "")
    search = phrase_search.PhraseSearch.collect

    def timed(self: phrase_search.PhraseSearch, view: str, found: dict[int, list[tuple[int, int]]]) -> None:
        start = time.perf_counter()
        search(self, view, found)
        middle = time.perf_counter()
        search(self, view, {})
        spent["in the flow"] += middle - start
        spent["again at once"] += time.perf_counter() - middle

    phrase_search.PhraseSearch.collect = timed  # type: ignore[method-assign]
    posts = bench_posts(args.posts, args.count)
    judge_twice(posts, lambda: spent.update(dict.fromkeys(spent, 0.0)))
    report = {
        **report_head("bench/phrase_table.py", args.posts),
        "us_per_post": {name: round(seconds / len(posts) * 1e6, 1) for name, seconds in spent.items()},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
