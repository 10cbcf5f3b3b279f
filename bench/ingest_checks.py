"""The API's checks of each post it is handed (`haven.api.posts.check_post`: what PostgreSQL
cannot store, identifier and text lengths), alone, on the corpus posts the pipeline
benchmark sends: µs of CPU a post, the best of five passes over 6,000 posts.

    .venv/bin/python bench/ingest_checks.py
    PYTHONPATH=<worktree>/service .venv/bin/python bench/ingest_checks.py   # another commit's code
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import haven  # noqa: E402
from haven.api.posts import check_post  # noqa: E402
from haven.domain import Author, Post  # noqa: E402
from pipeline import corpus_texts  # noqa: E402


def main() -> int:
    ordinary, crisis = corpus_texts()
    texts = ordinary + crisis
    posts = [
        Post(platform="bench", community="bench", external_id=uuid.uuid4().hex,
             author=Author(id=f"author-{i % 500}"), body=texts[i % len(texts)])
        for i in range(6000)
    ]  # fmt: skip
    passes = []
    for _ in range(5):
        started = time.process_time()
        for post in posts:
            check_post(post, 40_000)
        passes.append(time.process_time() - started)
    print(json.dumps({"haven": str(Path(haven.__file__).parent), "posts": len(posts),
                      "us_a_post": round(min(passes) / len(posts) * 1e6, 2)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
