"""Instructions a judged post costs the rules engine, by callgrind: a count that load on a
shared machine does not move, for engine changes too small for `engine_speed.py`'s timings.

    .venv/bin/python bench/engine_instructions.py [--baseline COMMIT] [--kind real dense] [--posts 1000]
    .venv/bin/python bench/engine_instructions.py --baseline COMMIT --kind real-1000 real-40000

Each side (the working tree, and the baseline commit's `service/` and `policies/` from
`git archive`) runs twice under `valgrind --tool=callgrind` with `PYTHONHASHSEED=0`: once
judging 50 warm-up posts, once judging those and `--posts` more, of `engine_speed.py`'s
workloads (new texts to the pattern DFAs, as a worker sees). The difference over
`--posts` is what a post costs, set-up and warm-up left out. A workload of one length
(`real-1000`, `dense-40000`: 400,000 characters of texts that long) is measured after 50
real posts and given per 1,000 characters, what `engine_speed.py`'s 40k ÷ 1k ratio
compares. Needs valgrind.
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
    if _by_length(kind):
        # The warm-up, then (when measuring) every text of that length: 400,000 characters.
        texts = engine_speed.workload("real", WARM) + (engine_speed.workload(kind, 0) if posts else [])
    else:
        texts = engine_speed.workload(kind, WARM + posts)
    for i, text in enumerate(texts):
        post = Post(platform="b", community="b", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)
        evaluate(policy_set, post, now=engine_speed.NOW)


def _by_length(kind: str) -> bool:
    """A workload of texts of one length (`real-40000`): measured per 1,000 characters."""
    return kind.rsplit("-", 1)[-1].isdigit()


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
    # Imported here, not above: a child judges with its own tree's haven, never this one's.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import engine_speed
    from pipeline import archived

    trees = {"current": ROOT}
    if args.baseline:
        trees = {args.baseline: archived(args.baseline, "service", "policies"), **trees}

    results: dict[str, dict[str, dict[str, int]]] = {"per_post": {}, "per_1k_chars": {}}
    for kind in args.kind:
        for name, tree in trees.items():
            spent = instructions(tree, kind, args.posts) - instructions(tree, kind, 0)
            if _by_length(kind):
                cost = spent * 1000 // sum(map(len, engine_speed.workload(kind, 0)))
                results["per_1k_chars"].setdefault(kind, {})[name] = cost
                print(f"{kind} {name}: {cost:,} instructions a 1,000 characters", file=sys.stderr)
            else:
                cost = spent // args.posts
                results["per_post"].setdefault(kind, {})[name] = cost
                print(f"{kind} {name}: {cost:,} instructions a post", file=sys.stderr)
    command = " ".join(["bench/engine_instructions.py", *sys.argv[1:]])
    # "current" is the working tree: its commit, so that a result file says what it measured.
    print(json.dumps({"command": command, "commit": engine_speed.tree_commit(), **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
