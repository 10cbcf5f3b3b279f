"""What the learned models cost: judging speed with and without them, load time, memory.

    taskset -c 0 .venv/bin/python bench/models.py --posts ../shared/datasets/cssrs-reddit/items.jsonl

Times are CPU seconds of this process (`time.process_time`, best of `--repeats`), so other
load on the machine does not count; pin to one core for a per-core figure. Without
--posts it stitches posts from tests/corpus/. Prints Markdown; bench/README.md holds the
committed run.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from engine import NOW, as_posts, load_texts, time_per_post  # noqa: E402
from haven.policy import PolicySet, evaluate, load_policy_set  # noqa: E402
from haven.policy.classifier import features, sentences  # noqa: E402
from haven.policy.loader import MODEL_SUFFIX, read_model  # noqa: E402
from haven.policy.normalise import normalise  # noqa: E402
from pipeline import corpus_texts  # noqa: E402


def load_cost(policies: Path, *, rules_only: bool) -> tuple[float, PolicySet]:
    start = time.process_time()
    policy_set = load_policy_set(policies, rules_only=rules_only)
    return time.process_time() - start, policy_set


def model_memory(policies: Path) -> int:
    """Bytes the model files take once read (tracemalloc's count of live allocations)."""
    gc.collect()
    tracemalloc.start()
    models = [read_model(file) for file in sorted((policies / "models").glob(f"*{MODEL_SUFFIX}"))]
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del models
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=Path, default=None, help="JSON lines with a 'text' field")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    args = parser.parse_args()

    texts = load_texts(args.posts, args.count, seed=1)
    posts = as_posts(texts)
    print(f"# Learned models: cost ({platform.python_implementation()} {platform.python_version()}, "
          f"{len(posts)} posts, mean {statistics.mean(len(t) for t in texts):.0f} characters)\n")  # fmt: skip

    rules_load, rules_only = load_cost(args.policies, rules_only=True)
    full_load, full = load_cost(args.policies, rules_only=False)
    rules_cost = time_per_post(lambda p: evaluate(rules_only, p, now=NOW), posts, args.repeats)
    full_cost = time_per_post(lambda p: evaluate(full, p, now=NOW), posts, args.repeats)

    normalised = [normalise(t).text for t in texts]
    split_cost = min(_timed(lambda: [sentences(t) for t in normalised]) for _ in range(args.repeats)) / len(texts)
    parts = [sentences(t) for t in normalised]
    print("| what | posts/s (one core) | µs/post |")
    print("|---|---:|---:|")
    print(f"| rules alone (`--rules-only`, {len(rules_only.rules)} rules) | {1 / rules_cost:,.0f} | "
          f"{rules_cost * 1e6:,.0f} |")  # fmt: skip
    print(f"| whole default pack, models on ({len(full.rules)} rules) | {1 / full_cost:,.0f} | "
          f"{full_cost * 1e6:,.0f} |")  # fmt: skip
    print(f"| sentences and features of a post (once, shared by all models) | {1 / split_cost:,.0f} | "
          f"{split_cost * 1e6:,.0f} |")  # fmt: skip
    for name, model in sorted(full.models.items()):
        cost = min(
            _timed(lambda m=model: [full.model_bank.score(m.name, p) for p in parts]) for _ in range(args.repeats)
        ) / len(texts)
        print(f"| scoring with `{name}` ({len(model.vocabulary):,} features) | {1 / cost:,.0f} | {cost * 1e6:,.0f} |")
    # Every model's log-odds at once from a text's features, as a post is judged: on these
    # posts and on the pipeline benchmark's short corpus posts, where a call's fixed cost shows.
    ordinary, crisis = corpus_texts()
    short = [features(sentences(normalise(t).text)) for t in ordinary + crisis]
    bank = full.model_bank
    for label, counted in (("these posts", [features(p) for p in parts]), ("corpus posts", short)):
        cost = min(_timed(lambda c=counted: [bank.assess(x) for x in c]) for _ in range(args.repeats)) / len(counted)
        print(f"| the models' assessment of a text's features, {label} | {1 / cost:,.0f} | {cost * 1e6:,.1f} |")
    print()
    print(f"Load: {rules_load:.2f} s CPU for the pack with models read but their rules left out, "
          f"{full_load:.2f} s with them.")  # fmt: skip
    print(f"Memory held by the loaded models (tracemalloc): {model_memory(args.policies) / 2**20:.1f} MiB.")
    return 0


def _timed(work: object) -> float:
    start = time.process_time()
    work()  # type: ignore[operator]
    return time.process_time() - start


if __name__ == "__main__":
    sys.exit(main())
