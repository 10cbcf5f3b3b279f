from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
import re2
from haven.policy import patterns
from haven.policy.loader import compile_regex
from haven.policy.normalise import normalise
from haven.policy.patterns import PatternSearch, case_neutral, necessary_pieces, widest
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


@pytest.mark.parametrize(
    ("source", "width"),
    [
        (r"\bkys\b", 3),
        (r"\bi\s+want\s+to\s+die\b", 13),  # a run of whitespace counts one character
        (r"\b(?:set|made)\s+a\s+date\b[^.!?]{0,60}\b(?:end|die)\b", 4 + 1 + 1 + 1 + 4 + 60 + 3),
        (r"\bpain(?:ful|s)?\b", 7),
    ],
)
def test_the_widest_match_of_a_pattern_is_counted_from_its_parts(source: str, width: int) -> None:
    assert widest(source) == width


@pytest.mark.parametrize(
    "source",
    [
        r"\b\w+\s+from\s+group\b",  # a word of any length
        r"\bfoo[^.]*bar\b",
        r"(?:help)?",  # can match nothing at all: a block would tell nothing
        r"[[:alpha:]]{2}",  # a POSIX class, which Python's reader takes for something else
        r"\pL{3}",  # a form Python's reader does not know
    ],
)
def test_patterns_without_a_bound_or_read_otherwise_have_no_widest_match(source: str) -> None:
    assert widest(source) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*_words_of_the_pack(), ".", ",", "!", "5", "20", "i", "you"]), max_size=60))
def test_no_match_of_the_default_pack_is_wider_than_its_widest(words: list[str]) -> None:
    data = normalise(" ".join(words)).text.encode("utf-8", "surrogatepass")
    for pattern in _DEFAULT.patterns.values():
        width = widest(pattern.pattern)
        if width is not None:
            assert all(m.end() - m.start() <= width for m in pattern.finditer(data)), pattern.pattern


def _whole_text_matches(search: PatternSearch, data: bytes, most: int = 20) -> dict[int, list[tuple[int, int]]]:
    """What `find` must return: each candidate's non-empty matches over the whole text."""
    found = {}
    for group in search.candidates(data):
        spans = [m.span() for m in search.patterns[group].finditer(data) if m.end() > m.start()][:most]
        if spans:
            found[group] = spans
    return found


def test_blocks_start_after_a_space_and_reach_past_their_end_to_one() -> None:
    data = normalise(" ".join(corpus_texts()[:400])).text.encode("utf-8", "surrogatepass")
    blocks = patterns._blocks(data, 180)
    assert len(blocks) > 3
    assert blocks[0].start == 0 and blocks[-1].until == len(data) == blocks[-1].end
    for block, following in itertools.pairwise(blocks):
        assert block.until == following.start and data[following.start - 1 : following.start] == b" "
        assert block.end >= block.until + 180 and data[block.end : block.end + 1] == b" "


def test_a_long_post_searched_in_blocks_finds_what_the_whole_text_search_finds(
    default_search: PatternSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every long text is searched in blocks here, however few patterns it holds.
    monkeypatch.setattr(patterns, "BLOCKS_PAY_FROM", 0)
    texts = corpus_texts()
    searched_in_blocks = 0
    for first in range(0, len(texts), 150):
        text = " ".join(texts[first : first + 150])
        for variant in (text, text.replace("e", "é")):  # a non-ASCII text's blocks reach 4 bytes a character
            folded = normalise(variant).text
            data = folded.encode("utf-8", "surrogatepass")
            assert len(data) >= patterns.LONG_TEXT_BYTES
            found = default_search.find(data, len(data) == len(folded), 20)
            assert found == _whole_text_matches(default_search, data)
            searched_in_blocks += sum(map(default_search.fits_in_a_block, found))
    assert searched_in_blocks >= 100


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*_words_of_the_pack(), "5", "20", "i", "you", "é"]), max_size=80),
    st.lists(st.sampled_from([" ", " ", " ", ". ", ", ", "  ", "\n", "! "]), min_size=1),
    st.integers(min_value=1, max_value=40),
)
def test_texts_cut_into_small_blocks_find_what_the_whole_text_search_finds(
    words: list[str], separators: list[str], block_bytes: int
) -> None:
    # Blocks of a few bytes put block edges everywhere a match can start or end; a text with
    # whitespace twice in a row (the separators may make one) is searched whole.
    text = "".join(word + separators[i % len(separators)] for i, word in enumerate(words))
    data = text.lower().encode("utf-8", "surrogatepass")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(patterns, "BLOCK_BYTES", block_bytes)
        patch.setattr(patterns, "LONG_TEXT_BYTES", 0)
        patch.setattr(patterns, "BLOCKS_PAY_FROM", 0)
        assert _DEFAULT.find(data, data.isascii(), 20) == _whole_text_matches(_DEFAULT, data)


def test_a_match_that_starts_in_a_blocks_reach_is_left_to_the_next_block() -> None:
    # "cd ef" starts within the first block's reach but runs past its end: searched there, it
    # would be cut to "cd"; the next block, where it starts, finds it whole.
    pattern = compile_regex(r"\b(?:ab|cd)(?: ef)?")
    data = b"xx ab cd ef gh"
    blocks = [patterns._Block(0, 3, 8), patterns._Block(3, len(data), len(data))]
    assert patterns._spans(pattern, data, blocks, 20) == [(3, 5), (6, 11)] == [m.span() for m in pattern.finditer(data)]


def test_texts_with_runs_of_whitespace_are_searched_whole() -> None:
    # A pattern's \s+ is wider than one character only where whitespace comes twice in a row:
    # blocks that reach as far as such a pattern is wide elsewhere would cut its match here.
    search = PatternSearch([(0, r"\bi\s+want\s+to\s+die\b"), (1, r"\bkys\b")], ROOT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(patterns, "BLOCK_BYTES", 4)
        patch.setattr(patterns, "LONG_TEXT_BYTES", 0)
        patch.setattr(patterns, "BLOCKS_PAY_FROM", 0)
        for data in (b"so i want to die kys ok", b"so i \n want \n to \n die kys ok", b"i  want  to  die kys"):
            assert search.find(data, True, 20) == _whole_text_matches(search, data)
            assert 0 in search.find(data, True, 20)
