"""How much of a post's judging already runs in compiled search code, and how much is the
interpreter's: the split that says what a compiled rule walk could win at most.

    python3 -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy     # not a Haven dependency
    .venv/bin/python bench/native_share.py --py-spy /tmp/pyspy/bin/py-spy                # dense
    .venv/bin/python bench/native_share.py --py-spy /tmp/pyspy/bin/py-spy --posts real

A child process judges `bench/engine_speed.py`'s posts with the default pack's rules alone in
batches of 100 (`bench/engine_stages.py`'s `judge_twice`, then more passes), pinned to one
core, and times its last passes; then a second such child is sampled by py-spy with native
frames, 300 times a second (py-spy stops the process for each sample, so the timing is taken
from the first child, which runs alone). Only samples taken inside `evaluate_in_batches`
count. Each is put where its innermost recognised frame belongs:

* `RE2`: the pattern sets and each pattern's search (google-re2's library);
* `Python's re`: the regular expressions of the personal-data detectors (the interpreter's
  own `sre` engine);
* `extension`: Haven's compiled scanning (`haven.policy._scan_core`: the phrase automaton,
  word splitting, negation, proximity pairs and the rest it holds);
* `interpreter`: everything else, that is Python code and the C that the interpreter runs on
  its behalf (dicts, lists, strings, allocation, freeing, the collector, msgspec's structs).

The last is the most that compiling the rest of the engine could remove; the others would
stay. The shares times the timed µs a post give each part's µs a post. Within the
interpreter's share, the Python functions with the most samples are listed (each sample
goes to its innermost Python frame).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "service"))

from engine_speed import NOW  # noqa: E402
from engine_stages import bench_posts, judge_twice, report_head  # noqa: E402
from haven.policy import engine, load_policy_set  # noqa: E402

SAMPLES_PER_SECOND = 300
# The innermost frame's library or function, most specific first.
_KINDS = (
    ("RE2", re.compile(r"re2/_re2\.")),
    ("Python's re", re.compile(r"^sre_|^_sre|\(_sre")),
    ("extension", re.compile(r"_scan_core")),
)
_PYTHON_FRAME = re.compile(r"^(.*) \((.+\.py):\d+\)$")


def judge(kind: str, count: int, passes: int, timings: Path) -> None:
    """The child: judges the posts `passes` times after `judge_twice`'s two, timing those."""
    posts = bench_posts(kind, count)
    judge_twice(posts, lambda: None)
    policy_set = load_policy_set(ROOT / "policies", rules_only=True)
    start = time.perf_counter()
    for _ in range(passes):
        for _ in engine.evaluate_in_batches(policy_set, posts, now=lambda _: NOW):
            pass
    seconds = time.perf_counter() - start
    timings.write_text(json.dumps({"us_per_post": seconds / (passes * len(posts)) * 1e6}))


def classify(raw: Path) -> tuple[Counter[str], Counter[str], int]:
    """Samples inside `evaluate_in_batches` by kind, and the interpreter's by Python function."""
    kinds: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(frame.startswith("evaluate_in_batches ") for frame in frames):
            continue
        samples = int(count)
        total += samples
        kind, function = "interpreter", "?"
        for frame in reversed(frames):
            named = next((name for name, pattern in _KINDS if pattern.search(frame)), None)
            if named is not None:
                kind = named
                break
            python = _PYTHON_FRAME.match(frame)
            if python is not None:
                function = f"{python.group(1)} ({python.group(2).rsplit('/', 1)[-1]})"
                break
        kinds[kind] += samples
        if kind == "interpreter":
            functions[function] += samples
    return kinds, functions, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", choices=("dense", "real"), default="dense")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--passes", type=int, default=4, help="timed passes after the two warming ones")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy to sample with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timings", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        judge(args.posts, args.count, args.passes, args.timings)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        raw, timings = Path(scratch) / "samples.txt", Path(scratch) / "timings.json"
        child = [sys.executable, __file__, "--child", "--posts", args.posts, "--count", str(args.count),
                 "--passes", str(args.passes), "--timings", str(timings)]  # fmt: skip
        subprocess.run(["taskset", "-c", "0", *child], check=True)
        us_per_post = json.loads(timings.read_text())["us_per_post"]
        subprocess.run(
            [args.py_spy, "record", "--native", "--rate", str(SAMPLES_PER_SECOND), "--format", "raw",
             "--output", str(raw), "--", "taskset", "-c", "0", *child],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        kinds, functions, total = classify(raw)
    report = {
        **report_head("bench/native_share.py", args.posts),
        "samples": total,
        "us_per_post": round(us_per_post, 1),
        "share": {kind: round(n / total, 3) for kind, n in kinds.most_common()},
        "us_per_post_by_kind": {kind: round(us_per_post * n / total, 1) for kind, n in kinds.most_common()},
        "interpreter_by_python_function": {function: round(n / total, 3) for function, n in functions.most_common(20)},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
