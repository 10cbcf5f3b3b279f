"""What the conversation state costs the engine: the default pack over real posts arranged in threads.

    taskset -c 0 .venv/bin/python bench/conversations.py --posts ../shared/datasets/cssrs-reddit/items.jsonl

Each post is judged as a reply in one of a few hundred interleaved threads (or the
opening post of one), four ways: without conversation state (the engine as it was),
with the in-memory store (embedded mode, `policy test`, `backtest`), and, in batches of
100 as a worker judges them, with the Redis counter store alone and with the Redis
counter and conversation stores together, on a `redis-server` of the benchmark's own
(pinned to the core after the client's, so no other client's work is counted). Figures
are the best of `--repeats` passes, interleaved: the engine's in CPU time of this
process; the worker's both in CPU time (this process plus the Redis server, from its
INFO) and in wall time, which on a busy machine is mostly waiting to be scheduled.
JSON on stdout; bench/README.md holds the committed run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent

from haven.config import PrivacySettings  # noqa: E402
from haven.conversations_redis import RedisConversationStore  # noqa: E402
from haven.counters_redis import RedisCounterStore  # noqa: E402
from haven.domain import Author, Post  # noqa: E402
from haven.policy import InMemoryConversationStore, InMemoryCounterStore, PolicySet, evaluate, load_policy_set  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 100


def load_texts(path: Path | None, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    if path is not None:
        texts = [
            t
            for line in path.read_text(encoding="utf-8").splitlines()
            if 200 <= len(t := json.loads(line).get("text") or "") <= 2000
        ]
    else:
        texts = [
            json.loads(line)["text"]
            for file in sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
            for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    rng.shuffle(texts)
    return (texts * (count // max(len(texts), 1) + 1))[:count]


def threaded(texts: list[str], threads: int, authors: int, seed: int) -> list[Post]:
    """Posts in `threads` interleaved threads: each opens its thread or replies to one of its earlier posts."""
    rng = random.Random(seed)
    members: dict[int, list[str]] = {}
    posts = []
    for i, text in enumerate(texts):
        thread = rng.randrange(threads)
        earlier = members.setdefault(thread, [])
        parent = (earlier[0] if rng.random() < 0.5 else rng.choice(earlier)) if earlier else None
        posts.append(
            Post(
                platform="bench",
                community="bench",
                external_id=f"p{i}",
                kind="comment" if parent else "post",
                author=Author(id=f"a{rng.randrange(authors)}"),
                body=text,
                thread_id=f"t{thread}",
                parent_id=parent,
            )
        )
        earlier.append(f"p{i}")
    return posts


def engine_pass(policy_set: PolicySet, posts: list[Post], with_state: bool) -> float:
    counters = InMemoryCounterStore()
    conversations = InMemoryConversationStore() if with_state else None
    start = time.process_time()
    for i, post in enumerate(posts):
        evaluate(policy_set, post, now=NOW + timedelta(seconds=i), counters=counters, conversations=conversations)
    return (time.process_time() - start) / len(posts)


def server_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def redis_pass(policy_set: PolicySet, posts: list[Post], client: redis.Redis, with_state: bool) -> tuple[float, float]:
    """Wall seconds a post, and CPU seconds a post (this process and the server together)."""
    prefix = f"haven-bench-{uuid.uuid4().hex[:8]}:"
    counters = RedisCounterStore(
        client, prefix=prefix + "counter", keep_seconds=PrivacySettings().counter_window_seconds
    )
    conversations = RedisConversationStore(client, prefix=prefix + "conversation") if with_state else None
    cpu_before = time.process_time() + server_cpu(client)
    start = time.perf_counter()
    for first in range(0, len(posts), BATCH):
        batch = posts[first : first + BATCH]
        with ExitStack() as stack:
            stack.enter_context(counters.batch((p.community, p.author.id) for p in batch))
            if conversations is not None:
                parents = [
                    (p.community, p.platform, p.thread_key, p.parent_id) for p in batch if p.parent_id is not None
                ]
                stack.enter_context(conversations.batch(parents))
            for post in batch:
                evaluate(policy_set, post, now=datetime.now(UTC), counters=counters, conversations=conversations)
    elapsed = (time.perf_counter() - start) / len(posts)
    cpu = (time.process_time() + server_cpu(client) - cpu_before) / len(posts)
    client.flushdb()
    return elapsed, cpu


def private_redis(core: int) -> tuple[subprocess.Popen[bytes], redis.Redis]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["taskset", "-c", str(core), "redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server, client
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def best(run: Callable[[], float], repeats: int) -> float:
    return min(run() for _ in range(repeats))


def threaded_posts(description: str, repeats: int) -> tuple[argparse.Namespace, list[Post]]:
    """The options of a benchmark over threaded posts, and its posts."""
    parser = argparse.ArgumentParser(description=description.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--posts", type=Path, default=None, help="JSON lines with 'text' (default: tests/corpus/)")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=300)
    parser.add_argument("--authors", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    return args, threaded(load_texts(args.posts, args.count, args.seed), args.threads, args.authors, args.seed)


def main() -> int:
    args, posts = threaded_posts(__doc__, 7)
    policy_set = load_policy_set(ROOT / "policies")
    replies = sum(p.parent_id is not None for p in posts)
    print(
        f"{len(posts)} posts ({replies} replies) in {args.threads} threads, mean "
        f"{sum(len(p.body) for p in posts) / len(posts):.0f} characters",
        file=sys.stderr,
    )
    engine_pass(policy_set, posts[:200], True)  # warm up: imports, automata, caches

    # Interleaved, so a change in the machine's load falls on both sides alike.
    without, with_state = [], []
    for _ in range(args.repeats):
        without.append(engine_pass(policy_set, posts, False))
        with_state.append(engine_pass(policy_set, posts, True))
    print(
        "engine passes, µs a post: without "
        + " ".join(f"{t * 1e6:.0f}" for t in without)
        + "; with "
        + " ".join(f"{t * 1e6:.0f}" for t in with_state),
        file=sys.stderr,
    )
    engine = {"without_state_us": min(without) * 1e6, "with_memory_state_us": min(with_state) * 1e6}
    engine["cost"] = 1 - min(without) / min(with_state)
    # Each round's own cost, its two passes run back to back: robust to load that drifts.
    engine["cost_median_of_rounds"] = statistics.median(1 - a / b for a, b in zip(without, with_state, strict=True))

    cores = sorted(os.sched_getaffinity(0))
    server, client = private_redis((cores[-1] + 1) % (os.cpu_count() or 1))
    try:
        counters_only, both = [], []
        for _ in range(args.repeats):
            counters_only.append(redis_pass(policy_set, posts, client, False))
            both.append(redis_pass(policy_set, posts, client, True))
    finally:
        client.close()
        server.terminate()
        server.wait()
    worker_cpu = {"redis_counters_us": min(c for _, c in counters_only) * 1e6,
                  "redis_counters_and_state_us": min(c for _, c in both) * 1e6}  # fmt: skip
    worker_cpu["cost"] = 1 - worker_cpu["redis_counters_us"] / worker_cpu["redis_counters_and_state_us"]
    worker_cpu["cost_median_of_rounds"] = statistics.median(
        1 - a[1] / b[1] for a, b in zip(counters_only, both, strict=True)
    )
    worker = {"redis_counters_us": min(w for w, _ in counters_only) * 1e6,
              "redis_counters_and_state_us": min(w for w, _ in both) * 1e6}  # fmt: skip
    worker["cost"] = 1 - worker["redis_counters_us"] / worker["redis_counters_and_state_us"]
    worker["cost_median_of_rounds"] = statistics.median(
        1 - a[0] / b[0] for a, b in zip(counters_only, both, strict=True)
    )

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "posts": len(posts),
        "replies": replies,
        "threads": args.threads,
        "authors": args.authors,
        "source": str(args.posts) if args.posts else "tests/corpus",
        "engine_cpu": engine,
        "worker_batches_cpu": worker_cpu,
        "worker_batches_wall": worker,
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    for name, figures in (("engine (CPU)", engine), ("worker batches on Redis (CPU, client and server)", worker_cpu),
                          ("worker batches on Redis (wall)", worker)):  # fmt: skip
        a, b = list(figures.values())[:2]
        print(
            f"{name}: {a:.0f} µs → {b:.0f} µs a post; {1e6 / a:,.0f} → {1e6 / b:,.0f} posts/s; "
            f"the conversation state costs {figures['cost']:.1%} of throughput "
            f"(median of the rounds' own: {figures['cost_median_of_rounds']:.1%})",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
