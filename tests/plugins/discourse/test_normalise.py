from __future__ import annotations

from haven_discourse.normalise import (
    post_context,
    post_from_payload,
    quoted_ranges,
    quoted_usernames,
    topic_from_payload,
)

from tests.plugins.discourse.payloads import post_payload, topic_payload

BASE = "https://forum.example.org"


def test_post_created_payload_becomes_a_post_from_raw() -> None:
    data = post_payload(1501, "Day 40 of the flare. **Still** here.", trust_level=2, post_number=3)["post"]
    post = post_from_payload(data, community="chronic-pain", base_url=BASE)
    assert post.platform == "discourse"
    assert post.community == "chronic-pain"
    assert post.external_id == "1501"
    assert post.body == "Day 40 of the flare. **Still** here."  # raw, not cooked
    assert post.kind == "comment"
    assert post.title == ""
    assert post.thread_id == "77"
    assert post.url == f"{BASE}/t/does-anyone-else-feel-this-way/77/3"
    assert post.author.id == "4242"
    assert post.author.name == "tired_of_pain"
    assert post.author.trust_level == 2
    assert not post.author.is_staff
    assert not post.author.is_moderator
    assert post.created_at is not None
    assert post.created_at.year == 2024
    assert post.revision.startswith("1.")
    assert post.quoted == []


def test_staff_and_moderator_flags_and_opening_post() -> None:
    data = post_payload(1, "Welcome", staff=True, moderator=True, post_number=1, trust_level=4)["post"]
    post = post_from_payload(data, community="c", base_url=BASE)
    assert post.author.is_staff
    assert post.author.is_moderator
    assert post.author.trust_level == 4
    assert post.kind == "post"


def test_revision_repeats_for_a_retry_and_changes_for_any_edit() -> None:
    first = post_from_payload(post_payload(7, "hello")["post"], community="c", base_url=BASE)
    retry = post_from_payload(post_payload(7, "hello")["post"], community="c", base_url=BASE)
    edited = post_from_payload(post_payload(7, "hello", version=2)["post"], community="c", base_url=BASE)
    grace_edit = post_from_payload(post_payload(7, "hello!")["post"], community="c", base_url=BASE)
    assert first.revision == retry.revision
    assert edited.revision.startswith("2.")
    assert len({first.revision, edited.revision, grace_edit.revision}) == 3


def test_quote_blocks_become_quoted_ranges() -> None:
    raw = (
        'Replying here.\n[quote="bob, post:3, topic:7"]\nfirst [quote=carol]nested[/quote] words\n[/quote]\n'
        "My own words.\n[QUOTE]second[/QUOTE] end"
    )
    ranges = quoted_ranges(raw)
    assert [raw[r.start : r.end] for r in ranges] == [
        '[quote="bob, post:3, topic:7"]\nfirst [quote=carol]nested[/quote] words\n[/quote]',
        "[QUOTE]second[/QUOTE]",
    ]
    assert all(r.field == "body" for r in ranges)
    assert quoted_usernames(raw) == ["bob", "carol"]


def test_markdown_blockquotes_become_quoted_ranges() -> None:
    raw = "Replying to Sam:\n> first quoted line\n> second\n\nMy own words.\n>> nested\n   > indented three\r\nmine"
    assert [raw[r.start : r.end] for r in quoted_ranges(raw)] == [
        "> first quoted line\n> second",
        ">> nested\n   > indented three",
    ]


def test_a_line_right_after_a_blockquote_is_the_authors_own() -> None:
    raw = "> quoted\nmy own line, no blank line before it"
    assert [raw[r.start : r.end] for r in quoted_ranges(raw)] == ["> quoted"]


def test_code_is_not_a_blockquote() -> None:
    raw = "```\n> inside a fence\n```\n    > indented code\n~~~~\n> tilde fence\n~~~\n> still fenced\n~~~~\n"
    assert quoted_ranges(raw) == []


def test_blockquotes_inside_quote_tags_make_one_range() -> None:
    raw = '[quote="bob, post:3, topic:7"]\n> bob quoting carol\n[/quote]\n> then carol directly\nmine'
    assert [raw[r.start : r.end] for r in quoted_ranges(raw)] == [
        '[quote="bob, post:3, topic:7"]\n> bob quoting carol\n[/quote]',
        "> then carol directly",
    ]
    next_line = "> carol\n[quote=bob]bob[/quote]"
    assert [next_line[r.start : r.end] for r in quoted_ranges(next_line)] == ["> carol", "[quote=bob]bob[/quote]"]


def test_unbalanced_quote_tags_quote_nothing() -> None:
    assert quoted_ranges("[quote]never closed") == []
    assert quoted_ranges("stray [/quote] close") == []


def test_post_context_keeps_what_actions_need() -> None:
    context = post_context(post_payload(1501, '[quote="bob, post:1, topic:77"]x[/quote]')["post"])
    assert (context.post_id, context.topic_id, context.user_id, context.username) == (1501, 77, 4242, "tired_of_pain")
    assert context.quoted_users == ("bob",)


def test_topic_created_is_its_title() -> None:
    post = topic_from_payload(topic_payload(88, "Goodbye everyone")["topic"], community="c", base_url=BASE)
    assert post.external_id == "topic-88"
    assert post.title == "Goodbye everyone"
    assert post.body == ""
    assert post.author.id == "4242"
    assert post.thread_id == "88"
