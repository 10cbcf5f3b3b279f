from __future__ import annotations

from pathlib import Path

import pytest
from haven.policy import PolicyLoadError, load_policy_set

from .conftest import write_set


def errors_of(tmp_path: Path, policy: str) -> list[str]:
    root = write_set(tmp_path / "set", {"bad.yaml": policy})
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_set(root)
    return [str(e).split("/set/", 1)[1] for e in caught.value.errors]


def test_unknown_matcher_key_names_line_column_and_suggests_the_fix(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: r
            category: crisis.suicide
            severity: high
            match:
              phrase: ["kill myself"]
            actions: [escalate]
        """,
    )
    assert errors == [
        "bad.yaml:7:7: unknown key 'phrase' in matcher; expected one of phrases, regex, near, pii, domains, "
        "third_party, score, counter, matched, pile_on, thread, replies_to, author_replies, classifier, protected_identity, any, all, none (hint: did you mean 'phrases'?)"
    ]


def test_many_errors_are_reported_at_once(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: first
            category: crisis.suicide
            severity: extreme
            match: {phrases: [a]}
            actions: [escalate]
          - id: second
            category: crisis.suicide
            severity: high
            match: {regex: '(a)\\1'}
            actions: [shout]
          - id: second
            category: crisis.suicide
            severity: high
            match: {phrases: [b]}
            actions: [{reply: {template: crisis-resorces}}]
        """,
    )
    assert len(errors) == 5
    assert errors[0] == "bad.yaml:5:15: expected one of 'low', 'medium', 'high', 'critical', got 'extreme'"
    assert errors[1].startswith("bad.yaml:11:20: regex '(a)\\\\1' has no linear-time guarantee")
    assert "unknown action kind 'shout'" in errors[2] and errors[2].startswith("bad.yaml:12:15:")
    assert errors[3].startswith("bad.yaml:13:9: duplicate rule id 'second' (first at line 8)")
    assert errors[4].startswith("bad.yaml:17:34: unknown template 'crisis-resorces'")
    assert "did you mean 'crisis-resources'?" in errors[4]


@pytest.mark.parametrize("pattern", ["(?=x)y", "(?<=a)b", "a++", "(a)\\\\1"])
def test_patterns_without_a_linear_time_guarantee_are_rejected(tmp_path: Path, pattern: str) -> None:
    errors = errors_of(
        tmp_path,
        f"""\
        id: p
        rules:
          - id: r
            category: test.thing
            severity: low
            match: {{regex: "{pattern}"}}
            actions: [flag_for_review]
        """,
    )
    assert len(errors) == 1
    assert "has no linear-time guarantee" in errors[0]
    assert "rewrite without them" in errors[0]


def test_wrong_types_and_missing_keys_are_positioned(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        mode: loud
        rules:
          - id: r
            severity: low
            match: {near: {phrases: [stop], to: [meds], within: many}}
            actions: []
        """,
    )
    assert errors[0].startswith("bad.yaml:2:7: expected one of 'enforce', 'shadow'")
    assert any(e.startswith("bad.yaml:") and "missing required key 'category'" in e for e in errors)


def test_yaml_syntax_error_has_a_position(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "id: p\nrules: [\n  - id: r\n")
    assert len(errors) == 1
    assert errors[0].startswith("bad.yaml:") and "YAML syntax" in errors[0]


def test_duplicate_yaml_keys_are_errors_not_silently_overwritten(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: r
            category: a.b
            severity: low
            severity: high
            match: {phrases: [x]}
            actions: []
        """,
    )
    assert errors == ["bad.yaml:6:5: duplicate key 'severity' (first at line 5)"]


def test_duplicate_policy_ids_across_files(tmp_path: Path) -> None:
    body = "id: same\nrules:\n  - {id: r, category: a.b, severity: low, match: {phrases: [x]}, actions: []}\n"
    root = write_set(tmp_path / "set", {"a.yaml": body, "b.yaml": body})
    with pytest.raises(PolicyLoadError, match="duplicate policy id 'same'"):
        load_policy_set(root)


def test_version_changes_when_any_file_changes(tmp_path: Path) -> None:
    body = "id: p\nrules:\n  - {id: r, category: a.b, severity: low, match: {phrases: [x]}, actions: []}\n"
    root = write_set(tmp_path / "set", {"p.yaml": body})
    first = load_policy_set(root).version
    assert load_policy_set(root).version == first
    (root / "templates" / "guideline.md").write_text("changed {guideline}\n")
    assert load_policy_set(root).version != first


def test_a_configmap_style_mount_of_links_has_the_same_version_as_the_folder(tmp_path: Path) -> None:
    body = "id: p\nrules:\n  - {id: r, category: a.b, severity: low, match: {phrases: [x]}, actions: []}\n"
    plain = write_set(tmp_path / "plain", {"p.yaml": body})
    # Kubernetes mounts a ConfigMap as links into a hidden, timestamped folder.
    mounted = tmp_path / "mounted"
    data = mounted / "..2026_11_21_12_00_00.000"
    data.mkdir(parents=True)
    for entry in plain.iterdir():
        target = data / entry.name
        if entry.is_dir():
            target.mkdir()
            for file in entry.iterdir():
                (target / file.name).write_bytes(file.read_bytes())
        else:
            target.write_bytes(entry.read_bytes())
    (mounted / "..data").symlink_to(data.name)
    for entry in plain.iterdir():
        (mounted / entry.name).symlink_to(Path("..data") / entry.name)
    assert load_policy_set(mounted).version == load_policy_set(plain).version
    (data / "templates" / "guideline.md").write_text("edited {guideline}\n")
    assert load_policy_set(mounted).version != load_policy_set(plain).version


def test_a_phrase_of_punctuation_alone_is_refused_where_it_stands(tmp_path: Path) -> None:
    # Phrases match whole words of the folded text, where punctuation is space: "=" would match
    # between any two words (it once made a confidentiality rule hold one tweet in ten).
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: r
            category: confidentiality.identity
            severity: high
            match:
              third_party: {details: ["real name", "="], within: 4}
            actions: [hold]
        """,
    )
    assert errors == [
        "bad.yaml:7:44: the phrase '=' has no letters or digits, so it would match between any two words; "
        "match punctuation with a regex"
    ]
