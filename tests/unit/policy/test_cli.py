from __future__ import annotations

import json
from pathlib import Path

import pytest
from haven.cli.main import main

from .conftest import write_set

GOOD = """\
id: crisis
rules:
  - id: ideation
    category: crisis.suicide
    severity: high
    description: Thoughts of suicide.
    match: {phrases: ["want to die", "kill myself"]}
    unless:
      - near: {phrases: ["not"], within: 2}
    actions: [escalate, {reply: {template: crisis-resources, private: true}}]
    examples:
      match: ["I want to die"]
      no_match: ["I do not want to die"]
"""


def test_check_exits_1_and_prints_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_set(tmp_path, {"a.yaml": "id: A\nrules: []\n"})
    assert main(["policy", "check", str(root)]) == 1
    err = capsys.readouterr().err
    assert "a.yaml:1:5: policy id 'A' must be lower case" in err
    assert "a.yaml:2:8: a policy needs at least one rule" in err


def test_test_reports_the_failing_example_with_rule_and_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_set(
        tmp_path, {"c.yaml": GOOD.replace('no_match: ["I do not want to die"]', 'no_match: ["I want to die!"]')}
    )
    assert main(["policy", "test", str(root)]) == 1
    captured = capsys.readouterr()
    assert "rule 'crisis/ideation' should not match: 'I want to die!'" in captured.err
    assert "1 passed, 1 failed" in captured.out


def test_test_passes_when_examples_behave(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", str(write_set(tmp_path, {"c.yaml": GOOD}))]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_explain_highlights_evidence_and_says_why_a_rule_did_not_fire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_set(tmp_path, {"c.yaml": GOOD})
    assert main(["policy", "explain", str(root), "I do not want to die. I want to die."]) == 0
    out = capsys.readouterr().out
    assert "fired: crisis/ideation" in out
    assert "I do not want to die. I [[want to die]]." in out
    assert "'not' negates 'want to die'" in out


def test_output_cut_short_by_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = write_set(tmp_path, {"c.yaml": GOOD})
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(f'{{"id": {n}, "text": "I want to die"}}\n' for n in range(20000)))
    command = [sys.executable, "-m", "haven.cli.main", "backtest", str(root), str(posts)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as backtest:
        assert backtest.stdout is not None and backtest.stderr is not None
        backtest.stdout.readline()
        backtest.stdout.close()
        errors = backtest.stderr.read().decode()
    assert backtest.returncode == 0, errors
    assert "Traceback" not in errors


def test_backtest_writes_one_decision_per_line_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_set(tmp_path, {"c.yaml": GOOD})
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": 1, "text": "I want to die"}\n'
        '{"id": "b", "title": "hello", "body": "good day", "author": "u1", "locale": "en-GB"}\n'
        "not json\n"
    )
    assert main(["backtest", str(root), str(posts)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [(d["id"], d["verdict"], d["categories"]) for d in lines] == [
        (1, "escalate", ["crisis.suicide"]),
        ("b", "allow", []),
    ]
    assert [d["crisis_queue"] for d in lines] == [True, False]
    reply = next(a for a in lines[0]["actions"] if a["kind"] == "reply")
    assert reply["params"] == {"template": "crisis-resources", "private": True}
    assert "posts.jsonl:3: skipped" in captured.err
    assert "2 posts judged" in captured.err
    assert "crisis/ideation" in captured.err
