from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haven.domain import Author, Decision, Post, TextRange
from haven.policy import CounterStore, PolicySet, evaluate, load_policy_set

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


@functools.cache
def default_pack(*, rules_only: bool = False) -> PolicySet:
    """The default pack, compiled once a test process: the tests only read it."""
    return load_policy_set(ROOT / "policies", rules_only=rules_only)


def corpus_texts() -> list[str]:
    """Every text of the labelled corpus (tests/corpus/*.jsonl), in file order."""
    return [
        json.loads(line)["text"]
        for file in sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


CRISIS_LINES = """
US:
  - {name: 988 Suicide & Crisis Lifeline, contact: call or text 988, source: https://988lifeline.org}
GB:
  - {name: Samaritans, contact: call 116 123, source: https://www.samaritans.org}
default:
  - {name: Find a Helpline, contact: findahelpline.com, source: https://findahelpline.com}
"""


def write_set(root: Path, files: dict[str, str]) -> Path:
    (root / "templates").mkdir(parents=True, exist_ok=True)
    (root / "resources").mkdir(exist_ok=True)
    (root / "templates" / "crisis-resources.md").write_text("You matter. Reach out now:\n{crisis_lines}\n")
    (root / "templates" / "guideline.md").write_text("A reminder of our guideline: {guideline}\n")
    (root / "resources" / "crisis-lines.yaml").write_text(CRISIS_LINES)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def policy_set(tmp_path: Path) -> Callable[[str], PolicySet]:
    def build(policy_yaml: str) -> PolicySet:
        return load_policy_set(write_set(tmp_path / "set", {"policy.yaml": policy_yaml}))

    return build


def post(
    body: str,
    *,
    title: str = "",
    locale: str | None = None,
    author: str = "member-1",
    quoted: list[TextRange] | None = None,
    external_id: str = "p1",
) -> Post:
    return Post(
        platform="test",
        community="support",
        external_id=external_id,
        author=Author(id=author),
        title=title,
        body=body,
        locale=locale,
        quoted=quoted or [],
    )


def judge(policy_set: PolicySet, item: Post, counters: CounterStore | None = None) -> Decision:
    return evaluate(policy_set, item, now=NOW, counters=counters)


def fired(decision: Decision) -> list[str]:
    return [f"{m.policy}/{m.rule}" for m in decision.matches]
