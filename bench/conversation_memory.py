"""What the conversation state holds in Redis memory a post, for threads of a given length.

    .venv/bin/python bench/conversation_memory.py > bench/results/conversation-memory-<commit>.json
    PYTHONPATH=<git archive OLD service> .venv/bin/python bench/conversation_memory.py   # the same, for OLD

Real posts (C-SSRS Reddit, `../shared/datasets/cssrs-reddit`, else `tests/corpus/`) are judged
by the default pack with the Redis conversation store, as a worker judges them, on a
`redis-server` of the benchmark's own. Each post gets ids of Reddit's shape and length
(`t1_…` comments, `t3_…` threads, `t2_…` authors); a thread's first post opens it and the
others reply to its first post or to an earlier reply. `--thread-lengths` sets how many posts
a thread has: 1 is what `bench/capacity.py` sends (every post opens a thread of its own), and
longer threads share a key's overhead among their posts.

Reported for each length, with Redis set up as docs/operations.md recommends (listpack
limits of 512 bytes) and as shipped (`--redis-defaults`): the server's `used_memory` grown
a post, the conversation keys a post, and each key kind's MEMORY USAGE a post. The layout
measured is whichever `haven` is imported: the tree's, or the one on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import haven  # noqa: E402
from conversations import load_texts, private_redis  # noqa: E402
from haven.conversations_redis import RedisConversationStore  # noqa: E402
from haven.domain import Author, Post  # noqa: E402
from haven.policy import evaluate, load_policy_set  # noqa: E402
from haven.policy.counters import InMemoryCounterStore  # noqa: E402

REAL = ROOT.parent / "shared" / "datasets" / "cssrs-reddit" / "items.jsonl"
PREFIX = "haven:conversation"


def posts_in_threads(texts: list[str], length: int, seed: int) -> list[Post]:
    rng = random.Random(seed)
    posts = []
    first = ""
    for i, text in enumerate(texts):
        thread = f"t3_{rng.getrandbits(28):07x}" if i % length == 0 else posts[-1].thread_id
        own = f"t1_{rng.getrandbits(28):07x}"
        if i % length == 0:
            first, parent, earlier = own, None, [own]
        else:
            parent = first if rng.random() < 0.5 else rng.choice(earlier)
            earlier.append(own)
        author = Author(id=f"t2_{rng.randrange(5000):06x}")
        kind = "comment" if parent else "post"
        post = Post(
            platform="reddit", community="chronicpain", external_id=own, kind=kind, author=author,
            body=text, thread_id=thread, parent_id=parent,
        )  # fmt: skip
        posts.append(post)
    return posts


def measure(posts: list[Post], listpack_bytes: int | None) -> dict[str, Any]:
    server, client = private_redis(0)
    try:
        if listpack_bytes is not None:
            for setting in ("zset-max-listpack-value", "hash-max-listpack-value"):
                client.config_set(setting, listpack_bytes)
        policy_set = load_policy_set(ROOT / "policies")
        store = RedisConversationStore(client, prefix=PREFIX)
        counters = InMemoryCounterStore()
        before = int(client.info("memory")["used_memory"])
        for post in posts:
            evaluate(policy_set, post, now=datetime.now(UTC), counters=counters, conversations=store)
        grown = int(client.info("memory")["used_memory"]) - before
        kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key in client.scan_iter(match=PREFIX + ":*", count=1000):
            kind = key.decode().split(":")[2]
            kinds[kind][0] += 1
            kinds[kind][1] += client.memory_usage(key) or 0
        count = len(posts)
        return {
            "used_memory_bytes_a_post": round(grown / count, 1),
            "keys_a_post": round(sum(k for k, _ in kinds.values()) / count, 3),
            "memory_usage_a_post_by_kind": {kind: round(b / count, 1) for kind, (_, b) in sorted(kinds.items())},
        }
    finally:
        client.close()
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--thread-lengths", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = load_texts(REAL if REAL.exists() else None, args.count, args.seed)
    started = time.time()
    results: dict[str, Any] = {
        "haven": str(Path(haven.__file__).resolve().parent),
        "posts": len(texts),
        "source": REAL.name if REAL.exists() else "tests/corpus",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "by_thread_length": {},
    }
    for length in args.thread_lengths:
        posts = posts_in_threads(texts, length, args.seed)
        results["by_thread_length"][str(length)] = {
            "recommended": measure(posts, 512),
            "as_shipped": measure(posts, None),
        }
        print(f"thread length {length}: done", file=sys.stderr)
    results["seconds"] = round(time.time() - started, 1)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
