"""What protected identities cost the engine: 1,000 protected names against none.

Run on one core, like bench/engine.py:

    taskset -c 0 .venv/bin/python bench/identities.py --posts ../shared/datasets/cssrs-reddit/items.jsonl

Without --posts it builds posts from the project corpus in tests/corpus/. Every
figure is CPU time per post over the same posts with the default policy set:

1. no protected names (the engine as every community without registrations sees it);
2. 1,000 protected names, once the words of the posts have been hashed (steady state:
   a worker has seen a community's everyday words), best of the passes, which alternate
   with those of (1); and the matching alone, on text already folded;
3. the same on the first pass, every word new (a fresh worker);
4. the obvious design, for comparison: every 1- to 4-word window hashed with HMAC-SHA256
   and looked up, on every post.

Two posts in a hundred carry a protected name, so the path that finds one runs too.
Results go to stdout as Markdown; bench/README.md holds the committed run.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haven.domain import Post  # noqa: E402
from haven.policy import InMemoryIdentities, evaluate, load_policy_set  # noqa: E402
from haven.policy.normalise import normalise, word_view  # noqa: E402

from bench.engine import NOW, as_posts, load_texts, time_per_post  # noqa: E402

_FIRST = ["Maria", "James", "Aisha", "Chen", "Olga", "Kwame", "Sofia", "Liam", "Noor", "Mateo", "Ines", "Ravi",
          "Hana", "Tomas", "Ama", "Jonas", "Leila", "Pavel", "Yuki", "Carmen"]  # fmt: skip
_SYLLABLES = ["ber", "ka", "lin", "mor", "ste", "van", "du", "ro", "wick", "ton", "sel", "ga", "mi", "hart", "quist"]


def protected_names(count: int, seed: int) -> list[str]:
    """Made-up names: a first name and an invented surname, a tenth of them handles."""
    rng = random.Random(seed)
    names = []
    while len(names) < count:
        surname = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if rng.random() < 0.1:
            names.append(f"@{surname.lower()}_{rng.randint(10, 99)}")
        else:
            names.append(f"{rng.choice(_FIRST)} {surname}")
    return names


def every_window(secret: bytes, digests: set[str], post: Post) -> int:
    """The design not taken: hash all 1- to 4-word windows of the post and look each up."""
    words = re.findall(r"\w+", normalise(post.body).text)
    found = 0
    for start in range(len(words)):
        for length in range(1, 5):
            if start + length > len(words):
                break
            window = " ".join(words[start : start + length]).encode()
            found += hmac.new(secret, window, hashlib.sha256).hexdigest() in digests
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=Path, default=None, help="JSON lines with a 'text' field")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    args = parser.parse_args()

    rng = random.Random(2)
    names = protected_names(args.names, seed=3)
    texts = load_texts(args.posts, args.count, seed=1)
    texts = [f"{t} Saw {rng.choice(names)} yesterday." if rng.random() < 0.02 else t for t in texts]
    posts = as_posts(texts)
    policy_set = load_policy_set(args.policies)

    def registered() -> InMemoryIdentities:
        identities = InMemoryIdentities()
        identities.register("bench", names)
        return identities

    fresh = registered()
    start = time.process_time()
    held = sum(
        any(m.rule == "protected-identity" for m in evaluate(policy_set, p, now=NOW, identities=fresh).matches)
        for p in posts
    )
    first_pass = (time.process_time() - start) / len(posts)
    # Passes with and without names alternate, so drift in the machine's load hits both alike.
    baseline = warm = float("inf")
    for _ in range(args.repeats):
        baseline = min(baseline, time_per_post(lambda p: evaluate(policy_set, p, now=NOW), posts, 1))
        warm = min(warm, time_per_post(lambda p: evaluate(policy_set, p, now=NOW, identities=fresh), posts, 1))
    # The matching alone, on text the engine has already folded.
    found = fresh.protected("bench")
    assert found is not None
    folded = [(text, word_view(text)) for text in (normalise(p.body).text for p in posts)]
    start = time.process_time()
    for _ in range(args.repeats):
        for text, view in folded:
            found.find(text, view=view)
    matching = (time.process_time() - start) / (len(folded) * args.repeats)

    secret = b"\x01" * 32
    digests = {hmac.new(secret, n.lstrip("@").lower().encode(), hashlib.sha256).hexdigest() for n in names}
    sample = posts[: max(300, len(posts) // 10)]
    naive = time_per_post(lambda p: every_window(secret, digests, p), sample, 1)

    mean_length = statistics.mean(len(t) for t in texts)
    print(f"# Protected identities ({platform.python_implementation()} {platform.python_version()}, "
          f"{len(posts)} posts, mean {mean_length:.0f} characters, {len(names):,} protected names, "
          f"{len(policy_set.rules)} rules)\n")  # fmt: skip
    print("| engine | µs/post | posts/s | vs no names |")
    print("|---|---:|---:|---:|")
    rows = [
        ("no protected names", baseline),
        (f"{len(names):,} protected names, words seen before", warm),
        (f"{len(names):,} protected names, first pass (every word new)", first_pass),
    ]
    for label, cost in rows:
        print(f"| {label} | {cost * 1e6:,.0f} | {1 / cost:,.0f} | {(cost - baseline) / baseline:+.1%} |")
    print(f"\nThe matching alone (in text the engine has folded, words seen before): "
          f"{matching * 1e6:,.1f} µs/post, {matching / baseline:.1%} of the engine's cost without names.")  # fmt: skip
    print(f"Every 1- to 4-word window hashed and looked up (not what Haven does), on its own: "
          f"{naive * 1e6:,.0f} µs/post ({naive / baseline:.0%} of the engine's whole cost).")  # fmt: skip
    print(f"Posts held for a protected name: {held} of {len(posts)} "
          f"({sum(' Saw ' in t and t.endswith(' yesterday.') for t in texts)} carry one).")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
