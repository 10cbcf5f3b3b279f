from __future__ import annotations

import sys
from pathlib import Path

import pytest
import re2
from haven.policy.loader import compile_regex
from haven.policy.normalise import normalise
from haven.policy.patterns import PatternSearch, case_neutral, necessary_pieces
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import corpus_texts, default_pack

ROOT = Path(__file__).resolve().parents[3]


def test_a_long_counted_gap_splits_the_pattern_into_the_pieces_around_it() -> None:
    source = r"\bset\s+a\s+date\b[^.!?]{0,60}\b(?:end|kill|die)\b"
    assert necessary_pieces(source) == [r"\bset\s+a\s+date\b", r"\b(?:end|kill|die)\b"]


def test_short_counts_and_plain_patterns_stay_whole() -> None:
    assert necessary_pieces(r"\b\d{1,5}\s+main\s+st\b") is None
    assert necessary_pieces(r"\bkys\b") is None
    assert necessary_pieces(r"\b(?:a|b[^.]{0,40}c)\b") is None  # the gap is inside a group


@pytest.mark.parametrize(
    "source",
    [
        r"\bfoo\b[^.]{0,40}\bbar\b|\bbaz\b",  # top-level alternation: a piece is not needed
        r"(?i)\bfoo\b[^.]{0,40}\bbar\b",  # a flag would not reach the later pieces
        r"\Q(\E[^.]{0,40}\bbar\b",  # quoted text is not read
    ],
)
def test_forms_the_reading_does_not_follow_stay_whole(source: str) -> None:
    assert necessary_pieces(source) is None


def test_a_piece_that_can_match_nothing_tells_nothing_and_is_left_out() -> None:
    assert necessary_pieces(r"\bhelp\b[^.]{0,30}[.!]?\s*[^.]{0,30}\bnow\b") == [r"\bhelp\b", r"\bnow\b"]


def test_case_neutral_patterns_are_lower_case_ascii_without_character_escapes() -> None:
    assert case_neutral(r"\bpain\s+olympics\b[^\s\d,.;:!?]")
    assert not case_neutral(r"\bPain olympics\b")
    assert not case_neutral(r"\bstræti\b")
    assert not case_neutral(r"\x41bc")
    assert not case_neutral(r"\pL+")


def test_folded_text_holds_nothing_that_case_folding_would_add_to_an_ascii_letter() -> None:
    # What makes a case-neutral pattern match folded text the same without case folding.
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    folded = normalise(everything).text
    assert not any("A" <= c <= "Z" for c in folded)
    beyond_ascii = "".join(c for c in folded if not c.isascii()).encode("utf-8", "surrogatepass")
    assert compile_regex("[a-z]").search(beyond_ascii) is None


def test_a_pattern_with_capitals_still_matches_folded_text() -> None:
    search = PatternSearch([(0, r"\bPain Olympics\b"), (1, r"\bkys\b")], ROOT)
    assert search.candidates(normalise("Welcome to the PAIN olympics").text.encode()) == [0]


def _matching(search: PatternSearch, data: bytes, groups: list[int]) -> set[int]:
    return {g for g in groups if any(m.end() > m.start() for m in search.patterns[g].finditer(data))}


# The default pack, loaded once for the module (hypothesis draws its words at collection).
_DEFAULT = default_pack(rules_only=True).patterns


@pytest.fixture
def default_search() -> PatternSearch:
    return _DEFAULT


def test_the_default_packs_gapped_patterns_are_split(default_search: PatternSearch) -> None:
    assert len(default_search._gapped) >= 20


def _each_pattern_alone(search: PatternSearch, data: bytes) -> set[int]:
    return _matching(search, data, list(search.patterns))


def test_candidates_find_what_each_pattern_finds_alone_on_the_corpus(default_search: PatternSearch) -> None:
    texts = corpus_texts()
    found_any = 0
    for text in texts:
        data = normalise(text).text.encode("utf-8", "surrogatepass")
        expected = _each_pattern_alone(default_search, data)
        assert _matching(default_search, data, default_search.candidates(data)) == expected, text
        found_any += bool(expected & {g for g, _ in default_search._gapped})
    assert found_any >= 20  # the gapped patterns were put to the test, not only the plain ones


def _words_of_the_pack() -> list[str]:
    words: set[str] = set()
    for source in [p.pattern for p in _DEFAULT.patterns.values()]:
        words.update(w for w in re2.split(r"[^a-z']+", source) if len(w) > 1)
    return sorted(words)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_words_of_the_pack(), ".", ",", "!", "5", "20", "i", "you"]), max_size=40))
def test_candidates_find_what_each_pattern_finds_alone_on_texts_made_of_its_words(words: list[str]) -> None:
    search = _DEFAULT
    data = normalise(" ".join(words)).text.encode("utf-8", "surrogatepass")
    assert _matching(search, data, search.candidates(data)) == _each_pattern_alone(search, data)
