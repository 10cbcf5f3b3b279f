"""What writing a stored decision's JSON costs: the standard library's `json.dumps` (what
psycopg and SQLAlchemy use unless told otherwise) against `haven.store.sql._json_text`
(msgspec), on the decisions of real and dense posts (`engine_speed.py`'s workloads), and
whether both write the same values.

    .venv/bin/python bench/json_columns.py > bench/results/json-columns.json

CPU time of the process, best of five passes over 500 decisions of each kind after 50 warm
ones (`corpus_judging.microseconds_each`).
"""

from __future__ import annotations

import json
import sys

import msgspec
from corpus_judging import microseconds_each
from engine_speed import NOW, ROOT, workload
from haven.domain import Author, Post
from haven.policy import evaluate, load_policy_set
from haven.store.sql import _json_text

DUMPERS = {"json.dumps": json.dumps, "msgspec": _json_text}


def main() -> int:
    policy_set = load_policy_set(ROOT / "policies", rules_only=True)
    result: dict[str, object] = {"command": "bench/json_columns.py"}
    for kind in ("real", "dense"):
        posts = [
            Post(platform="bench", community="bench", external_id=str(i), author=Author(id="a"), body=text)
            for i, text in enumerate(workload(kind, 500))
        ]
        bodies = [msgspec.to_builtins(evaluate(policy_set, post, now=NOW)) for post in posts]
        assert all(json.loads(json.dumps(b)) == json.loads(_json_text(b)) for b in bodies), "values differ"
        timings = {name: microseconds_each(bodies, dumps) for name, dumps in DUMPERS.items()}
        result[kind] = {
            "decisions": len(bodies),
            "mean_json_bytes": round(sum(len(_json_text(b)) for b in bodies) / len(bodies)),
            "us_a_decision": timings,
            "same_values": True,
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
