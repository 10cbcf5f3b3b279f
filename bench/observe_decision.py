"""A worker's metrics for each decision it stores (`haven.metrics.observe_decision`), alone,
as `haven worker` keeps them (PROMETHEUS_MULTIPROC_DIR set: every value in a shared file):
µs of CPU a decision, the best of five passes over the default pack's decisions of the
corpus posts the pipeline benchmark sends (about 3,000, some with no match, some several).

    .venv/bin/python bench/observe_decision.py
    PYTHONPATH=<worktree>/service .venv/bin/python bench/observe_decision.py   # another commit's code
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder  # before prometheus_client is imported
        import haven
        from engine import as_posts
        from haven import metrics
        from haven.policy import evaluate_in_batches, load_policy_set
        from pipeline import committed_policies, corpus_texts

        ordinary, crisis = corpus_texts()
        texts = (ordinary + crisis) * 3
        posts = as_posts(texts)
        now = datetime.now(UTC)
        decisions = [d for _, d in evaluate_in_batches(load_policy_set(committed_policies()), posts, now=lambda _: now)]
        for decision in decisions:  # as a worker stamps them before storing
            decision.timings.evaluation_ms = 0.3
            decision.timings.received_at = now - timedelta(milliseconds=20)
            decision.timings.decided_at = now
        passes = []
        for _ in range(5):
            started = time.process_time()
            for decision in decisions:
                metrics.observe_decision(decision)
            passes.append(time.process_time() - started)
        matches = sum(len(d.matches) + len(d.shadow_matches) for d in decisions)
        print(json.dumps({"haven": str(Path(haven.__file__).parent), "decisions": len(decisions),
                          "matches_a_decision": round(matches / len(decisions), 2),
                          "us_a_decision": round(min(passes) / len(decisions) * 1e6, 2)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
