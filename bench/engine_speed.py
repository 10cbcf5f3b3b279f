"""The rules engine's speed on one core, against a baseline commit measured in the same run.

    .venv/bin/python bench/engine_speed.py --baseline ec04dd9 > bench/results/engine-speed.json
    .venv/bin/python bench/engine_speed.py --twins > bench/results/engine-speed-twins.json

With `--twins` the baseline is this tree judging with the scan's Python twins
(`HAVEN_COMPILED=0`, see haven.policy.compiled) instead of another commit.

The baseline's tree is checked out with `git worktree` into a scratch folder (its compiled
scan built, where it has one; each figure says whether it judged with it) and
each measure runs in a fresh process pinned to one core (`taskset`), baseline
and current in turn, round after round, so load that drifts on a shared machine
touches both sides alike; each figure is the best round, in CPU time of the
process (`time.process_time`). Both sides judge with their own tree's engine and
default pack, rules alone (`load_policy_set(..., rules_only=True)`, as
`haven backtest --rules-only`), without counter or conversation stores; with `--models`,
the whole pack, learned models included, as a worker judges.

Measures:

* **real**: C-SSRS Reddit posts of 200–2,000 characters (`../shared/datasets/cssrs-reddit`,
  read where it lies), 3,000 of them, mean about 570 characters: posts/s.
* **dense**: posts of 200–2,000 characters stitched from the labelled hard cases of
  `tests/corpus/` (crisis phrases, negations, numbers, personal data in every sentence).
* **real-batches**, **dense-batches**: the same posts judged as `haven backtest` and a
  worker's task judge them, in batches of 100 whose patterns are found before any post of
  the batch is judged (`haven.policy.evaluate_in_batches`); a tree without that judges them
  one at a time, as its own backtest did (`"in_batches": false` in its figures).
* **per character**: posts of 1,000, 10,000 and 40,000 characters stitched from the real
  posts and from the corpus's texts (400,000 characters at each length): µs per 1,000
  characters and 40k ÷ 1k, in one process, slices of about 40,000 characters of each length
  judged in turn (so drifting load touches every length alike), three passes, the median
  ratio; the round with the median ratio reported.
* **memory**: the process's resident set (VmRSS) after judging 100,000 real posts, and its
  peak (VmHWM), in MiB, the interpreter and libraries included.

Results: `bench/results/engine-speed*.json`, read in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ../shared/datasets beside the main checkout; a worktree under ../wt/ looks one level further up.
REAL = (
    next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared")
    / "datasets"
    / "cssrs-reddit"
    / "items.jsonl"
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LENGTHS = (1_000, 10_000, 40_000)
SLICE_CHARS = 40_000


def _real_texts() -> list[str]:
    return [t for t in (json.loads(line).get("text") or "" for line in REAL.read_text().splitlines()) if t]


def _corpus_texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for file in sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _stitched(pieces: list[str], count: int, low: int, high: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    while len(texts) < count:
        target = rng.randint(low, high)
        text = ""
        while len(text) < target:
            text += rng.choice(pieces) + " "
        texts.append(text[:target])
    return texts


def workload(name: str, count: int) -> list[str]:
    """The same texts on both sides of a comparison: fixed seeds, the current tree's files."""
    if name == "real":
        rng = random.Random(1)
        texts = [t for t in _real_texts() if 200 <= len(t) <= 2000]
        rng.shuffle(texts)
        return (texts * (count // len(texts) + 1))[:count]
    if name == "dense":
        return _stitched(_corpus_texts(), count, 200, 2000, seed=1)
    kind, length = name.split("-")
    pieces = _real_texts() if kind == "real" else _corpus_texts()
    size = int(length)
    # The same characters in total at every length, so each figure weighs as much text.
    return _stitched(pieces, max(4, 400_000 // size), size, size, seed=size)


def tree_commit() -> str:
    """The working tree's commit, marked when the engine or the pack has changes beside it."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "service", "policies"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    return head + ("+changes" if dirty else "")


def _rss_mib() -> tuple[float, float]:
    """The process's resident set now and at its peak (VmRSS, VmHWM)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def child(tree: Path, measure: str, count: int, models: bool) -> dict[str, Any]:
    """Runs in a process of its own with `tree`'s engine; prints one JSON object, which says
    whether the tree judged with its compiled scan (None: a tree from before there was one)."""
    found = _measured(tree, measure, count, models)
    try:
        from haven.policy import compiled
    except ImportError:
        return {**found, "compiled_scan": None}
    return {**found, "compiled_scan": compiled.core is not None}


def _measured(tree: Path, measure: str, count: int, models: bool) -> dict[str, Any]:
    sys.path.insert(0, str(tree / "service"))
    import haven
    from haven.domain import Author, Post
    from haven.policy import evaluate, load_policy_set

    assert Path(haven.__file__).resolve().is_relative_to(tree.resolve()), haven.__file__
    policy_set = load_policy_set(tree / "policies", rules_only=not models)
    kind = measure.removesuffix("-batches")
    texts = workload("real" if measure == "memory" else kind, count) if "-lengths" not in measure else []

    def make_post(i: int, text: str) -> Post:
        return Post(platform="bench", community="bench", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)

    if measure == "memory":
        # Each post is made as it is judged, as a worker does, so only the engine's own memory grows.
        loaded = _rss_mib()
        for i, text in enumerate(texts):
            evaluate(policy_set, make_post(i, text), now=NOW)
        return {"posts": len(texts), "rss_mib_loaded": loaded[0], "rss_mib": _rss_mib()[0], "peak_mib": _rss_mib()[1]}
    if measure.endswith("-lengths"):
        # Load on a shared machine drifts within seconds, so the lengths are not judged one
        # after the other: each length's posts are cut into slices of about 40,000 characters
        # (40 posts of 1k, one of 40k), and the slices of all lengths are judged in turn, the
        # order reversed at every step, so that any drift touches every length alike. The
        # time of each length is the sum over its slices; three passes, the median ratio.
        kind = measure.removesuffix("-lengths")
        by_length = {n: [make_post(i, t) for i, t in enumerate(workload(f"{kind}-{n}", 0))] for n in LENGTHS}
        slices = {n: [posts[i : i + SLICE_CHARS // n] for i in range(0, len(posts), SLICE_CHARS // n)]
                  for n, posts in by_length.items()}  # fmt: skip
        characters = {n: sum(len(p.body) for p in posts) for n, posts in by_length.items()}
        for one in by_length[LENGTHS[0]][:50]:
            evaluate(policy_set, one, now=NOW)
        passes = []
        for _ in range(3):
            spent = dict.fromkeys(LENGTHS, 0.0)
            for step in range(max(map(len, slices.values()))):
                for n in LENGTHS if step % 2 == 0 else LENGTHS[::-1]:
                    if step < len(slices[n]):
                        start = time.process_time()
                        for one in slices[n][step]:
                            evaluate(policy_set, one, now=NOW)
                        spent[n] += time.process_time() - start
            passes.append([spent[n] / characters[n] * 1e9 for n in LENGTHS])
        middle = sorted(passes, key=lambda per: per[-1] / per[0])[1]
        return {"us_per_1k_chars": middle, "40k_over_1k": middle[-1] / middle[0],
                "passes_40k_over_1k": [per[-1] / per[0] for per in passes]}  # fmt: skip
    posts = [make_post(i, text) for i, text in enumerate(texts)]
    for post in posts[:50]:  # warm caches that a long-running worker has warm
        evaluate(policy_set, post, now=NOW)
    # In batches where the tree's engine judges so (haven.policy.evaluate_in_batches, as
    # `haven backtest` and a worker's task do); a tree from before them, one post at a time.
    in_batches = getattr(haven.policy, "evaluate_in_batches", None) if measure.endswith("-batches") else None
    start = time.process_time()
    if in_batches is not None:
        for _ in in_batches(policy_set, posts, now=lambda _: NOW):
            pass
    else:
        for post in posts:
            evaluate(policy_set, post, now=NOW)
    seconds = time.process_time() - start
    characters = sum(len(t) for t in texts)
    return {
        "posts": len(posts),
        "in_batches": in_batches is not None,
        "mean_chars": characters / len(posts),
        "posts_per_s": len(posts) / seconds,
        "us_per_post": seconds / len(posts) * 1e6,
        "us_per_1k_chars": seconds / characters * 1e9,
    }


def run_child(
    tree: Path, measure: str, count: int, core: int, models: bool, python_twins: bool = False
) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", measure, "--tree", str(tree),
               "--count", str(count), *(["--models"] if models else [])]  # fmt: skip
    if Path("/usr/bin/taskset").exists():
        command = ["taskset", "-c", str(core), *command]
    environment = {**os.environ, "PYTHONHASHSEED": "0", **({"HAVEN_COMPILED": "0"} if python_twins else {})}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    if "rss_mib" in runs[0]:
        return min(runs, key=lambda r: r["rss_mib"])
    if "40k_over_1k" in runs[0]:
        return sorted(runs, key=lambda r: r["40k_over_1k"])[len(runs) // 2]  # the round with the median ratio
    return max(runs, key=lambda r: r["posts_per_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=None, help="a commit to measure side by side (git worktree)")
    parser.add_argument(
        "--twins", action="store_true", help="the baseline: this tree with the scan's Python twins (HAVEN_COMPILED=0)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--memory-posts", type=int, default=100_000)
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="measures to run (real dense real-1000 ... memory)")
    parser.add_argument("--models", action="store_true", help="the whole pack, learned models included")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.tree, args.child, args.count, args.models)))
        return 0

    measures = args.only or [
        "real", "dense", "real-batches", "dense-batches", "real-lengths", "dense-lengths", "memory"
    ]  # fmt: skip
    trees: dict[str, Path] = {"baseline": ROOT, "current": ROOT} if args.twins else {"current": ROOT}
    with tempfile.TemporaryDirectory(prefix="engine-speed-") as scratch:
        if args.baseline:
            base = Path(scratch) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.baseline],
                           check=True, capture_output=True)  # fmt: skip
            if (base / "service" / "haven" / "policy" / "_scan_core.pyx").exists():
                # The baseline's compiled scan, built as its install builds it: a fresh worktree has
                # none, and until 2026-12-05 the baseline judged with the Python twins unseen.
                subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=base, check=True,
                               capture_output=True)  # fmt: skip
            trees = {"baseline": base, "current": ROOT}
        try:
            runs: dict[str, dict[str, list[dict[str, Any]]]] = {m: {side: [] for side in trees} for m in measures}
            for round_number in range(args.rounds):
                for measure in measures:
                    count = args.memory_posts if measure == "memory" else args.count
                    if measure == "memory" and round_number > 0:
                        continue  # memory does not drift with load; one round is enough
                    for side, tree in trees.items():
                        twins = args.twins and side == "baseline"
                        runs[measure][side].append(run_child(tree, measure, count, args.core, args.models, twins))
                        print(f"round {round_number + 1} {measure} {side}: {runs[measure][side][-1]}", file=sys.stderr)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    best = {m: {side: _best(r) for side, r in sides.items()} for m, sides in runs.items()}
    summary: dict[str, Any] = {}
    for side in trees:
        line: dict[str, Any] = {}
        for kind in ("real", "dense"):
            for measure in (kind, f"{kind}-batches"):
                if measure in best:
                    line[f"{measure.replace('-', '_')}_posts_per_s"] = round(best[measure][side]["posts_per_s"])
            if f"{kind}-lengths" in best:
                lengths = best[f"{kind}-lengths"][side]
                line[f"{kind}_us_per_1k_chars"] = [round(c, 1) for c in lengths["us_per_1k_chars"]]
                line[f"{kind}_40k_over_1k"] = round(lengths["40k_over_1k"], 3)
        if "memory" in best:
            line["rss_mib_loaded"] = round(best["memory"][side]["rss_mib_loaded"], 1)
            line["rss_mib_after_posts"] = round(best["memory"][side]["rss_mib"], 1)
            line["peak_mib"] = round(best["memory"][side]["peak_mib"], 1)
        summary[side] = line
    if "baseline" in summary:
        summary["speed-up"] = {
            f"{kind}": round(best[kind]["current"]["posts_per_s"] / best[kind]["baseline"]["posts_per_s"], 2)
            for kind in ("real", "dense", "real-batches", "dense-batches")
            if kind in best
        }
    report = {
        "command": " ".join(["bench/engine_speed.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": tree_commit(),
        "baseline": "this tree, HAVEN_COMPILED=0" if args.twins else args.baseline,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": os.getloadavg(),
        "summary": summary,
        "best": best,
        "rounds": runs,  # every round of every measure, the best of which is above
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
