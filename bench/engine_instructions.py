"""Instructions a judged post costs the rules engine, by callgrind: a count that load on a
shared machine does not move, for engine changes too small for `engine_speed.py`'s timings.

    .venv/bin/python bench/engine_instructions.py [--baseline COMMIT] [--kind real dense] [--posts 1000]

Each side (the working tree, and the baseline commit's `service/` and `policies/` from
`git archive`) runs twice under `valgrind --tool=callgrind` with `PYTHONHASHSEED=0`: once
judging 50 warm-up posts, once judging those and `--posts` more, of `engine_speed.py`'s
workloads (new texts to the pattern DFAs, as a worker sees). The difference over
`--posts` is what a post costs, set-up and warm-up left out. Needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM = 50


def child(tree: Path, kind: str, posts: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(tree / "service"))
    import engine_speed
    from haven.domain import Author, Post
    from haven.policy import evaluate, load_policy_set

    policy_set = load_policy_set(tree / "policies", rules_only=True)
    texts = engine_speed.workload(kind, WARM + posts)
    for i, text in enumerate(texts):
        post = Post(platform="b", community="b", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)
        evaluate(policy_set, post, now=engine_speed.NOW)


def instructions(tree: Path, kind: str, posts: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    command += ["--child", str(tree), kind, str(posts)]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found is not None, done.stderr[-2000:]
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a commit to compare with")
    parser.add_argument("--kind", nargs="*", default=["real", "dense"], help="engine_speed.py workloads")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], int(args.child[2]))
        return 0
    trees = {"current": ROOT}
    if args.baseline:
        # Imported here, not above: a child judges with its own tree's haven, never this one's.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from pipeline import archived

        trees = {args.baseline: archived(args.baseline, "service", "policies"), **trees}
    results: dict[str, dict[str, int]] = {}
    for kind in args.kind:
        for name, tree in trees.items():
            cost = (instructions(tree, kind, args.posts) - instructions(tree, kind, 0)) // args.posts
            results.setdefault(kind, {})[name] = cost
            print(f"{kind} {name}: {cost:,} instructions a post", file=sys.stderr)
    print(json.dumps({"command": " ".join(["bench/engine_instructions.py", *sys.argv[1:]]), "per_post": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
