"""What a policy author meets: evidence that names what matched, errors that name the key
and the fix, and no silent surprises (case in patterns, files in subfolders)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from haven.cli.main import main
from haven.cli.progress import Progress
from haven.policy import InMemoryCounterStore, PolicyLoadError, PolicySet, load_policy_set

from .conftest import NOW, fired, judge, post, write_set
from .test_loader_errors import errors_of

RULE = """\
id: p
rules:
  - id: r
    category: crisis.suicide
    severity: high
    match:
      {match}
    actions: [flag_for_review]
"""


def evidence(policy_set: PolicySet, text: str) -> list[tuple[str, str]]:
    decision = judge(policy_set, post(text))
    return [(e.text, e.matcher) for m in decision.matches for e in m.evidence]


def test_evidence_names_the_phrase_that_matched_not_the_first_of_the_list(
    policy_set: Callable[[str], PolicySet],
) -> None:
    rules = policy_set(RULE.format(match='phrases: ["kill myself", "suicid*", "end my life", "k1ll me"]'))
    assert evidence(rules, "I want to end my life") == [("end my life", "phrases: end my life")]
    assert evidence(rules, "feeling Suicidal") == [("Suicidal", "phrases: suicid*")]


def test_evidence_names_the_pattern_that_matched(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(RULE.format(match=r"""regex: ['\bs\su\si\sc', '\bend (?:my|it) (?:life|all)\b']"""))
    assert evidence(rules, "I want to end my life") == [("end my life", r"regex: \bend (?:my|it) (?:life|all)\b")]


def test_near_evidence_names_both_phrases_that_matched(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(RULE.format(match='near: {phrases: ["stop", "quit"], to: ["meds", "insulin"], within: 3}'))
    assert evidence(rules, "I will quit my insulin") == [("quit my insulin", "near: quit … insulin")]
    assert evidence(rules, "insulin? I'll stop it") == [("insulin? I'll stop", "near: stop … insulin")]


def test_a_pattern_with_capitals_matches_regardless_of_case(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(RULE.format(match="regex: 'Pain Olympics'"))
    assert fired(judge(rules, post("stop the pain olympics please"))) == ["p/r"]
    assert fired(judge(rules, post("the PAIN OLYMPICS again"))) == ["p/r"]
    assert fired(judge(rules, post("pain is not a contest"))) == []


def test_third_party_does_not_fire_on_the_authors_own_detail(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(RULE.format(match='third_party: {details: ["real name"]}'))
    assert fired(judge(rules, post("My real name is Sam"))) == []
    assert fired(judge(rules, post("Hi all, our real name policy is strict, Sam"))) == []
    assert fired(judge(rules, post("Her real name is Emma"))) == ["p/r"]


def test_a_word_where_a_number_belongs_names_the_key_and_the_fix(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, RULE.format(match="near: {phrases: [stop], to: [meds], within: six}"))
    assert errors == ["bad.yaml:7:51: 'within' takes a whole number, got 'six' (hint: write e.g. within: 6)"]


def test_an_unknown_comparison_lists_the_comparisons_allowed(tmp_path: Path) -> None:
    rule = RULE.format(match="phrases: [x]").replace(
        "    match:", "    when: {account_age_days: {below: 2}}\n    match:"
    )
    errors = errors_of(tmp_path, rule)
    assert len(errors) == 1
    assert errors[0].startswith("bad.yaml:6:31: unknown comparison 'below' in 'account_age_days'; ")
    assert "lt, lte, gt, gte" in errors[0] and "account_age_days: {lt: 2}" in errors[0]


def test_bad_indentation_names_the_key_and_the_fix(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "id: p\nrules:\n  - id: r\n    category: a\n   severity: high\n")
    assert errors == [
        "bad.yaml:5:4: YAML syntax: 'severity' is not indented like the keys around it "
        "(hint: line up the keys of one mapping in the same column, with spaces)"
    ]
    errors = errors_of(tmp_path, "id: p\n rules: []\n")
    assert errors[0].startswith("bad.yaml:2:7: YAML syntax: 'rules' is indented under a value that cannot hold keys")


def test_a_policy_file_in_an_unknown_subfolder_is_reported(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set", {"p.yaml": RULE.format(match="phrases: [x]")})
    (root / "drafts").mkdir()
    (root / "drafts" / "new.yaml").write_text(RULE.format(match="phrases: [y]"))
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    assert [e.message for e in caught.value.errors] == ["'drafts/new.yaml' is in a subfolder, so it is not loaded"]
    assert "communities/<community>/" in (caught.value.errors[0].hint or "")


def test_counts_see_only_the_window_and_expired_entries_are_dropped() -> None:
    counters = InMemoryCounterStore(keep_seconds=3600)
    for n in range(100):
        counters.record("c", "a", "community.hostility.insult", f"post-{n}", NOW + timedelta(minutes=n))
    counters.record("c", "a", "community.spam", "post-x", NOW + timedelta(minutes=99))
    last = NOW + timedelta(minutes=99)
    assert counters.count("c", "a", "community", last - timedelta(minutes=10)) == 12
    assert counters.count("c", "a", "community.hostility", last - timedelta(minutes=10)) == 11
    assert counters.count("c", "a", "community.hostility", last, exclude_member="post-99") == 0
    assert counters.count("c", "a", "community.hostil", last - timedelta(days=1)) == 0
    # Kept only an hour back from the newest entry: 61 of the 100.
    assert counters.count("c", "a", "community.hostility.insult", NOW - timedelta(days=1)) == 61
    counters.record("c", "a", "community.hostility.insult", "post-5", NOW)  # expired, recorded again
    counters.record("c", "a", "community.hostility.insult", "post-98", last)  # a repeat changes nothing
    assert counters.count("c", "a", "community.hostility", last - timedelta(minutes=1)) == 2


def test_entries_out_of_time_order_still_count_right() -> None:
    counters = InMemoryCounterStore()
    for minutes in (30, 10, 20, 5):
        counters.record("c", "a", "x", f"p{minutes}", NOW + timedelta(minutes=minutes))
    assert counters.count("c", "a", "x", NOW + timedelta(minutes=10)) == 3
    assert counters.count("c", "a", "x", NOW + timedelta(minutes=10), exclude_member="p20") == 2


def test_backtest_of_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_set(tmp_path / "set", {"p.yaml": RULE.format(match="phrases: [x]")})
    assert main(["backtest", str(root), str(tmp_path / "nope.jsonl")]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"haven backtest: {tmp_path / 'nope.jsonl'}: no such file\n"
    assert captured.out == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_rate_and_time_left_on_a_terminal_only() -> None:
    bar = Progress(_Terminal(), total=1000)
    assert bar.line(250, 500, elapsed=10.0) == "[############............]  50%  250 posts  25/s  0:10 left"
    terminal = _Terminal()
    Progress(terminal, total=1000).update(1, 10)
    assert "1 posts" in terminal.getvalue()
    piped = io.StringIO()
    drawn = Progress(piped, total=1000)
    drawn.update(1, 10)
    drawn.close()
    assert piped.getvalue() == ""
