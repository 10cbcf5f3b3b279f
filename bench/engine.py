"""Policy engine benchmark: throughput, scaling with rule count, and the per-rule-regex baseline.

Run on one core (the engine is single-threaded; pin it so the figure is per core):

    taskset -c 0 .venv/bin/python bench/engine.py --posts ../shared/datasets/cssrs-reddit/items.jsonl

Without --posts it builds posts from the project corpus in tests/corpus/.
Results go to stdout as a Markdown table; bench/README.md holds the committed run.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haven.domain import Author, Post  # noqa: E402
from haven.policy import PolicySet, evaluate, load_policy_set  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def load_texts(path: Path | None, count: int, seed: int) -> list[str]:
    """Posts of 200–2,000 characters: real ones when a file is given, else corpus texts joined."""
    rng = random.Random(seed)
    texts: list[str] = []
    if path is not None:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") or ""
            if 200 <= len(text) <= 2000:
                texts.append(text)
    else:
        pieces = [
            json.loads(line)["text"]
            for file in sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
            for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        while len(texts) < count:
            target = rng.randint(200, 2000)
            text = ""
            while len(text) < target:
                text += rng.choice(pieces) + " "
            texts.append(text[:2000])
    rng.shuffle(texts)
    return (texts * (count // max(len(texts), 1) + 1))[:count]


def as_posts(texts: list[str]) -> list[Post]:
    return [
        Post(platform="bench", community="bench", external_id=str(i), author=Author(id=f"a{i % 97}"), body=text)
        for i, text in enumerate(texts)
    ]


def time_per_post(judge: Callable[[Post], object], posts: list[Post], repeats: int) -> float:
    """Best-of-`repeats` CPU seconds per post: process time, so other load on the machine does not count."""
    runs = []
    for _ in range(repeats):
        start = time.process_time()
        for post in posts:
            judge(post)
        runs.append((time.process_time() - start) / len(posts))
    return min(runs)


_WORDS = [
    "".join(random.Random(n).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.Random(n + 7).randint(5, 9)))
    for n in range(20000)
]


def synthetic_set(rule_count: int, root: Path) -> tuple[PolicySet, list[str]]:
    """A policy of `rule_count` phrase rules (three two-word phrases each), and the phrases' regexes."""
    rng = random.Random(rule_count)
    lines = ["id: synthetic", "rules:"]
    patterns = []
    for n in range(rule_count):
        phrases = [f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}" for _ in range(3)]
        lines += [
            f"  - id: r{n}",
            "    category: bench.synthetic",
            "    severity: low",
            f"    match: {{phrases: {json.dumps(phrases)}}}",
            "    actions: [flag_for_review]",
        ]
        patterns.append(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
    root.mkdir(parents=True, exist_ok=True)
    (root / "synthetic.yaml").write_text("\n".join(lines) + "\n")
    return load_policy_set(root), patterns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=Path, default=None, help="JSON lines with a 'text' field")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    args = parser.parse_args()

    texts = load_texts(args.posts, args.count, seed=1)
    posts = as_posts(texts)
    mean_length = statistics.mean(len(t) for t in texts)
    print(f"# Engine benchmark ({platform.python_implementation()} {platform.python_version()}, "
          f"{len(posts)} posts, mean {mean_length:.0f} characters)\n")  # fmt: skip

    default_set = load_policy_set(args.policies)
    per_post = time_per_post(lambda p: evaluate(default_set, p, now=NOW), posts, args.repeats)
    print(f"Default policy set ({len(default_set.rules)} rules, version {default_set.version}): "
          f"{1 / per_post:,.0f} posts/s, {per_post * 1e6:.0f} µs/post\n")  # fmt: skip

    print("| phrase rules | Haven µs/post | vs 10 rules | per-rule regex µs/post | Haven speed-up |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        baseline_cost = None
        for rule_count in (10, 100, 1000, 10000):
            policy_set, patterns = synthetic_set(rule_count, Path(scratch) / str(rule_count))
            haven = time_per_post(lambda p, s=policy_set: evaluate(s, p, now=NOW), posts, args.repeats)
            baseline_cost = baseline_cost or haven
            naive_cell, speedup_cell = "", ""
            if rule_count <= 1000:
                compiled = [re.compile(p) for p in patterns]

                def naive(post: Post, compiled: list[re.Pattern[str]] = compiled) -> list[int]:
                    text = post.body.lower()
                    return [i for i, pattern in enumerate(compiled) if pattern.search(text)]

                naive_cost = time_per_post(naive, posts[: max(200, len(posts) // 5)], 1)
                naive_cell = f"{naive_cost * 1e6:,.0f}"
                speedup_cell = f"{naive_cost / haven:,.1f}x"
            relative = f"{haven / baseline_cost:.2f}x"
            cells = [f"{rule_count:,}", f"{haven * 1e6:,.0f}", relative, naive_cell, speedup_cell]
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
