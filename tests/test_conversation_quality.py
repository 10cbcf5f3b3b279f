"""Conversation rules of the default pack on threads written for the project.

`tests/corpus/threads/threads.jsonl` holds threads (posts with `thread_id`,
`parent_id`, `author`, `created_at`, in time order) that show each dynamic the
conversation rules look for, and threads of mutual support, venting and
good-faith disagreement that must raise nothing. The real `haven backtest`
judges the file with the conversation state; the tests compare, thread by
thread, the dynamics that fired with the ones labelled on the thread's first
post. Run `pytest tests/test_conversation_quality.py -s` to see the table in
docs/quality.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
THREADS = ROOT / "tests" / "corpus" / "threads" / "threads.jsonl"
HAVEN = str(Path(sys.executable).with_name("haven"))

# The categories of the pack's conversation rules (policies/conversations.yaml).
DYNAMICS = (
    "community.pile-on",
    "community.competition-thread",
    "community.spiral",
    "community.crisis-hostility",
    "community.targeting",
)
# Threads that must raise no conversation alert at all.
QUIET_TAGS = (
    "mutual-support", "venting", "disagreement", "crisis-support", "scattered-hostility",
    "single-comparison", "single-critic",
)  # fmt: skip


@dataclass
class Thread:
    id: str
    expected: set[str]
    tags: list[str]
    posts: list[dict[str, Any]]
    decisions: list[dict[str, Any]]

    @property
    def fired(self) -> set[str]:
        return {c for d in self.decisions for c in d["categories"] if c in DYNAMICS}


@pytest.fixture(scope="module")
def threads() -> list[Thread]:
    posts = [json.loads(line) for line in THREADS.read_text(encoding="utf-8").splitlines() if line.strip()]
    run = subprocess.run(
        [HAVEN, "backtest", str(ROOT / "policies"), str(THREADS)], capture_output=True, text=True, check=True
    )
    decisions = [json.loads(line) for line in run.stdout.splitlines()]
    assert [d["id"] for d in decisions] == [p["id"] for p in posts]
    found: dict[str, Thread] = {}
    by_thread: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for post, decision in zip(posts, decisions, strict=True):
        by_thread[post["thread_id"]].append((post, decision))
    for thread_id, pairs in by_thread.items():
        root = pairs[0][0]
        assert root["parent_id"] is None, f"{thread_id}: the first post must open the thread"
        found[thread_id] = Thread(
            thread_id, set(root["expect"]["dynamics"]), root["tags"], [p for p, _ in pairs], [d for _, d in pairs]
        )
    return list(found.values())


def scores(threads: list[Thread]) -> dict[str, tuple[int, int, int]]:
    """Per dynamic: threads that show it, threads where it fired, threads where both."""
    return {
        dynamic: (
            sum(dynamic in t.expected for t in threads),
            sum(dynamic in t.fired for t in threads),
            sum(dynamic in t.expected and dynamic in t.fired for t in threads),
        )
        for dynamic in DYNAMICS
    }


def table(threads: list[Thread]) -> str:
    lines = [
        f"threads: {len(threads)}, posts: {sum(len(t.posts) for t in threads)}",
        "",
        "| dynamic | threads showing it | alerted | correct | recall | precision |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for dynamic, (expected, fired, correct) in scores(threads).items():
        recall = correct / expected if expected else 1.0
        precision = correct / fired if fired else 1.0
        lines.append(f"| {dynamic} | {expected} | {fired} | {correct} | {recall:.2f} | {precision:.2f} |")
    lines += ["", "| threads without a dynamic | threads | with any conversation alert |", "|---|---:|---:|"]
    for tag in QUIET_TAGS:
        tagged = [t for t in threads if tag in t.tags]
        lines.append(f"| {tag} | {len(tagged)} | {sum(bool(t.fired) for t in tagged)} |")
    return "\n".join(lines)


def test_print_the_table(threads: list[Thread]) -> None:
    print("\n" + table(threads))


def test_the_corpus_shows_every_dynamic_and_every_kind_of_quiet_thread(threads: list[Thread]) -> None:
    for dynamic, (expected, _, _) in scores(threads).items():
        assert expected >= 2, f"fewer than two threads show {dynamic}"
    for tag in QUIET_TAGS:
        assert any(tag in t.tags for t in threads), f"no thread is tagged {tag}"


@pytest.mark.parametrize("dynamic", DYNAMICS)
def test_every_thread_that_shows_a_dynamic_raises_it_and_no_other_thread_does(
    threads: list[Thread], dynamic: str
) -> None:
    missed = [t.id for t in threads if dynamic in t.expected and dynamic not in t.fired]
    false_alarms = [t.id for t in threads if dynamic in t.fired and dynamic not in t.expected]
    assert not missed, f"{dynamic} missed in {missed}"
    assert not false_alarms, f"{dynamic} raised in {false_alarms}"


@pytest.mark.parametrize("tag", QUIET_TAGS)
def test_support_venting_and_disagreement_raise_no_conversation_alert(threads: list[Thread], tag: str) -> None:
    noisy = {t.id: sorted(t.fired) for t in threads if tag in t.tags and t.fired}
    assert not noisy


def test_a_pile_on_is_raised_on_the_third_member_replying_that_way_not_before(threads: list[Thread]) -> None:
    for thread in (t for t in threads if "community.pile-on" in t.expected):
        root = thread.posts[0]
        piling: list[str] = []
        for post, decision in zip(thread.posts, thread.decisions, strict=True):
            hostile = {"community.hostility", "community.invalidation", "community.harassment"} & set(
                decision["categories"]
            )
            if post["parent_id"] == root["id"] and hostile and post["author"] not in piling:
                piling.append(post["author"])
            assert ("community.pile-on" in decision["categories"]) == (len(piling) >= 3 and bool(hostile)), (
                thread.id,
                post["id"],
            )


def test_no_conversation_rule_removes_or_penalises(threads: list[Thread]) -> None:
    for thread in threads:
        for decision in thread.decisions:
            for action in decision["actions"]:
                if any(rule.startswith("conversations/") for rule in action["rules"]):
                    assert action["kind"] not in ("remove", "silence", "lock"), (thread.id, action)
