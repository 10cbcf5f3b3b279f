"""Posts judged in batches (their patterns found ahead, `prepare`) decide exactly as one by
one, and a text prepared for one post or policy set is never used for another."""

from __future__ import annotations

import msgspec
import pytest
from haven.domain import Post, TextRange
from haven.policy import (
    InMemoryConversationStore,
    InMemoryCounterStore,
    crisis_prone,
    evaluate,
    evaluate_in_batches,
    prepare,
)
from haven.policy.engine import post_text

from .conftest import NOW, corpus_texts, default_pack, post


def _corpus_posts() -> list[Post]:
    # Few authors and threads, so that counters and conversation rules see earlier posts of
    # the same batch; some titled, so that the prepared text is title and body; some quoting
    # their first half, so that two judges read the one prepared text.
    return [
        msgspec.structs.replace(
            post(
                text, author=f"member-{i % 7}", external_id=str(i), title="Update" if i % 5 == 0 else "",
                quoted=[TextRange(field="body", start=0, end=len(text) // 2)] if i % 4 == 0 else None,
            ),
            thread_id=f"t{i % 11}",
            parent_id=str(i - 11) if i >= 11 and i % 3 == 0 else None,
        )
        for i, text in enumerate(corpus_texts())
    ]  # fmt: skip


@pytest.mark.parametrize("size", [1, 7, 100])
def test_batches_decide_every_corpus_post_as_one_by_one(size: int) -> None:
    policy_set = default_pack()
    posts = _corpus_posts()
    counters, conversations = InMemoryCounterStore(), InMemoryConversationStore()
    alone = [evaluate(policy_set, p, now=NOW, counters=counters, conversations=conversations) for p in posts]
    judged = list(
        evaluate_in_batches(
            policy_set, posts, now=lambda _: NOW, counters=InMemoryCounterStore(),
            conversations=InMemoryConversationStore(), size=size,
        )
    )  # fmt: skip
    assert [p for p, _ in judged] == posts
    assert [msgspec.json.encode(d) for _, d in judged] == [msgspec.json.encode(d) for d in alone]
    # Not a comparison of nothing: the corpus's posts are judged, many of them flagged, some
    # by a model, some in the part they quote.
    assert sum(d.verdict != "allow" for d in alone) > len(posts) // 4
    assert any(m.scores for d in alone for m in d.matches)
    assert any(d.quoted_matches for d in alone)


def test_a_batch_shorter_than_the_size_and_no_posts_at_all() -> None:
    policy_set = default_pack(rules_only=True)
    posts = _corpus_posts()[:3]
    assert [p for p, _ in evaluate_in_batches(policy_set, posts, now=lambda _: NOW, size=100)] == posts
    assert list(evaluate_in_batches(policy_set, [], now=lambda _: NOW)) == []


def test_the_prepared_text_is_title_and_body_as_the_engine_reads_them() -> None:
    policy_set = default_pack(rules_only=True)
    item = post("nobody wants you here, go kys", title="Reply")
    prepared = prepare(policy_set, item)
    assert prepared.text == post_text(item)[0] == "Reply\n\nnobody wants you here, go kys"
    assert prepared.patterns, "a pattern of the default pack (the 'kys' one) finds this post"


def test_a_text_prepared_for_another_post_or_policy_set_is_refused() -> None:
    full, rules = default_pack(), default_pack(rules_only=True)
    first, second = post("I want to die"), post("thanks for listening, it helped")
    with pytest.raises(ValueError, match="another text or policy set"):
        evaluate(full, second, now=NOW, prepared=prepare(full, first))
    with pytest.raises(ValueError, match="another text or policy set"):
        evaluate(full, first, now=NOW, prepared=prepare(rules, first))


def test_a_requests_triage_together_answers_as_each_post_alone() -> None:
    # Two policy sets in one request (two communities), as the API may be handed.
    full, rules = default_pack(), default_pack(rules_only=True)
    pairs = [(full if i % 2 else rules, p) for i, p in enumerate(_corpus_posts())]
    alone = [policy_set.is_crisis_prone(p) for policy_set, p in pairs]
    assert crisis_prone(pairs) == alone
    assert 0 < sum(alone) < len(alone)  # the corpus holds crisis posts and others
