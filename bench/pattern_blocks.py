"""The pattern stage alone on long posts, searched whole and in blocks
(`haven.policy.patterns.PatternSearch.find`): what sets `BLOCKS_PAY_FROM`.

    .venv/bin/python bench/pattern_blocks.py > bench/results/pattern-blocks.json

Texts: `engine_speed.py`'s workloads of one length (`real-10000`, `dense-40000`: 400,000
characters of real or corpus texts stitched to that length), folded as the engine folds
them. Each setting runs in a fresh process pinned to one core (`--core`), so every text is
new to its DFAs, as to a worker's; the settings take turns, round after round, and each
figure is the best round, in µs of CPU a 1,000 characters:

* **whole**: blocks never used (`BLOCKS_PAY_FROM` past any count);
* **from N**: blocks when at least N patterns that fit in one were found (the default is
  the module's);
* **always**: blocks on every long text.

Each process also counts, per text, the patterns found that fit in a block, and checks
that every setting finds what the whole-text search finds; any difference fails the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("real-10000", "real-40000", "dense-10000", "dense-40000")
NEVER = 1 << 30


def child(kind: str, pay_from: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "service"))
    sys.path.insert(0, str(ROOT / "bench"))
    import engine_speed
    from haven.policy import load_policy_set, patterns
    from haven.policy.normalise import normalise

    search = load_policy_set(ROOT / "policies", rules_only=True).patterns
    folded = [normalise(text).text for text in engine_speed.workload(kind, 0)]
    data = [(text.encode("utf-8", "surrogatepass"), text.isascii()) for text in folded]
    patterns.BLOCKS_PAY_FROM = pay_from
    start = time.process_time()
    found = [search.find(one, is_ascii, 20) for one, is_ascii in data]
    seconds = time.process_time() - start
    patterns.BLOCKS_PAY_FROM = NEVER
    differing = sum(f != search.find(one, is_ascii, 20) for f, (one, is_ascii) in zip(found, data, strict=True))
    return {
        "us_per_1k_chars": seconds / sum(map(len, folded)) * 1e9,
        "fitting_patterns_found": sorted(sum(map(search.fits_in_a_block, search.candidates(one))) for one, _ in data),
        "texts_found_differently": differing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    sys.path.insert(0, str(ROOT / "service"))
    sys.path.insert(0, str(ROOT / "bench"))
    from engine_speed import tree_commit
    from haven.policy.patterns import BLOCKS_PAY_FROM

    settings = {"whole": NEVER, "from 12": 12, f"from {BLOCKS_PAY_FROM} (default)": BLOCKS_PAY_FROM, "always": 0}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {k: {s: [] for s in settings} for k in KINDS}
    for round_number in range(args.rounds):
        for kind in KINDS:
            for name, pay_from in settings.items():
                command = ["taskset", "-c", str(args.core), sys.executable, __file__, "--child", kind, str(pay_from)]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                runs[kind][name].append(json.loads(done.stdout))
                figure = runs[kind][name][-1]["us_per_1k_chars"]
                print(f"round {round_number + 1} {kind} {name}: {figure:.1f} µs a 1,000 characters", file=sys.stderr)
    differing = sum(r["texts_found_differently"] for sides in runs.values() for rs in sides.values() for r in rs)
    print(json.dumps({
        "command": " ".join(["bench/pattern_blocks.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": tree_commit(),
        "best_us_per_1k_chars": {
            kind: {name: round(min(r["us_per_1k_chars"] for r in rs), 1) for name, rs in sides.items()}
            for kind, sides in runs.items()
        },
        "fitting_patterns_found": {kind: sides["whole"][0]["fitting_patterns_found"] for kind, sides in runs.items()},
        "texts_found_differently": differing,
        "rounds": runs,
    }, indent=2))  # fmt: skip
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
