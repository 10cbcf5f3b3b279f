"""What a post's scan finds where: the words every "within N words" check counts, and the
pattern hits that RE2 gives back in UTF-8 bytes, which must cover the same characters of the
text whatever lies before them."""

from __future__ import annotations

import re

import re2
from haven.policy.scan import TextScan, _character_spans
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import default_pack

_RULES = default_pack(rules_only=True)
# The words, by their definition: runs of word characters joined by single inner apostrophes.
_WORD = re.compile(r"\w+(?:'\w+)*")


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("ab Z_9'’ .,-\n\t  éß\u0301д😀\u200b"), max_size=60))
def test_the_words_are_the_runs_of_word_characters_joined_by_inner_apostrophes(text: str) -> None:
    scan = TextScan(_RULES, text, "US")
    expected = [m.span() for m in _WORD.finditer(scan.norm.text)]
    assert list(zip(scan.word_starts, scan.word_ends, strict=True)) == expected


# Letters a pattern matches, and characters of two, three and four bytes around them.
TEXTS = st.text(alphabet=st.sampled_from("ab xé€😀\u0301"), max_size=60)
PATTERN = re2.compile("a+b?|é+")


@given(TEXTS)
def test_byte_spans_become_the_character_spans_of_the_same_text(text: str) -> None:
    data = text.encode("utf-8")
    spans = [m.span() for m in PATTERN.finditer(data)]
    characters = _character_spans(data, spans)
    assert [text[s:e] for s, e in characters] == [data[s:e].decode("utf-8") for s, e in spans]
    assert characters == [(len(data[:s].decode()), len(data[:e].decode())) for s, e in spans]


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("ab AZ Éд Д'. \u200b\u0301ﬁ"), max_size=60))
def test_the_name_candidates_are_the_words_their_author_began_with_a_capital(text: str) -> None:
    scan = TextScan(_RULES, text, "US")
    folded = scan.norm
    initials = [folded.original[folded.original_span(s, s + 1)[0] :][:1] for s in scan.word_starts]
    assert scan.name_candidates == [i for i, initial in enumerate(initials) if initial.isupper()]


def test_each_hit_of_a_group_knows_how_many_words_come_before_its_start_and_its_end() -> None:
    text = "I am not ok. I don't want to be here, and I keep thinking I want to die tonight."
    scan = TextScan(_RULES, text, "US")
    groups = [g for g, spans in scan._key_hits.items() if sum(map(len, spans)) >= 2]
    assert groups  # common words are hit more than once in this post
    for group in groups:
        hits = scan.hits(group)
        assert scan.start_words(group) == [len([w for w in scan.word_starts if w < s]) for s, _ in hits]
        assert scan.end_words(group) == [len([w for w in scan.word_starts if w < e]) for _, e in hits]
