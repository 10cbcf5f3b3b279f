"""The scan's compiled loops against their Python twins: the same answers, in the same order."""

from __future__ import annotations

import itertools
import shutil
import sysconfig
from array import array
from collections import Counter
from collections.abc import Iterator
from random import Random

import pytest
from haven.policy import compiled
from haven.policy.classifier import (
    MAX_FEATURE_CHARS,
    Sentence,
    _assess_python,
    _sentences_python,
    features,
    sentences,
)
from haven.policy.compiler import NearLeaf, Negation
from haven.policy.engine import _near_pairs_python, _negating_hit_python, _unnegated_python
from haven.policy.normalise import (
    _ONE_TO_ONE,
    NormalisedText,
    _fold,
    _original_starts_python,
    _Segment,
    normalise,
    word_view,
)
from haven.policy.phrase_search import PhraseSearch
from haven.policy.pii import _ADDRESS_WORDS, _digit_runs_python, _words_in_python
from haven.policy.scan import (
    _NOT_NAMES,
    NameWord,
    TextScan,
    _by_group_python,
    _capitalised_python,
    _fill_name_words_python,
    _has_leet_in_a_word_python,
    _hit_words_python,
    _merged_spans_python,
    _split_words_python,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import corpus_texts, default_pack

needs_extension = pytest.mark.skipif(
    compiled.built is None, reason="the compiled scan is not built (see the test below)"
)


def test_the_compiled_scan_is_built_wherever_a_c_compiler_is() -> None:
    # The extension is optional so that an install without a compiler still works; on a
    # machine with one (CI's) a silently failed build would leave only the slower twin.
    compiler = (sysconfig.get_config_var("CC") or "").split()
    if not compiler or shutil.which(compiler[0]) is None:
        pytest.skip("no C compiler on this machine")
    assert compiled.built is not None


def _both(keys: list[tuple[str, int, bool]]) -> tuple[PhraseSearch, PhraseSearch]:
    return PhraseSearch(keys, compiled=True), PhraseSearch(keys, compiled=False)


def _hits(search: PhraseSearch, *views: str) -> list[tuple[int, list[tuple[int, int]]]]:
    found: dict[int, list[tuple[int, int]]] = {}
    for view in views:
        search.collect(view, found)
    return list(found.items())  # the order keys were first hit in counts too


@needs_extension
def test_the_default_packs_phrases_are_found_alike_in_every_corpus_text() -> None:
    automata = default_pack(rules_only=True).automata
    assert automata.plain_search is not None and automata.leet_search is not None
    plain = _keys(automata.plain, 0)
    leet = _keys(automata.leet, len(plain))
    compiled_plain, python_plain = _both(plain)
    compiled_leet, python_leet = _both(leet)
    hits = 0
    for text in corpus_texts():
        norm = normalise(text)
        views = (word_view(norm.text),)
        leet_views = (word_view(norm.leet),)
        expected = _hits(python_plain, *views)
        assert _hits(compiled_plain, *views) == expected, text
        assert _hits(compiled_leet, *leet_views) == _hits(python_leet, *leet_views), text
        hits += sum(len(spans) for _, spans in expected)
    assert hits > 5_000  # the corpus is dense with phrases: the comparison is not of empty lists


def _corpus_scans() -> Iterator[tuple[str, TextScan]]:
    """Every corpus text with its scan by the default pack's rules."""
    pack = default_pack(rules_only=True)
    for text in corpus_texts():
        yield text, TextScan(pack, text, "US")


def _folded_corpus() -> Iterator[str]:
    """Every corpus text, folded as the engine reads it."""
    for text in corpus_texts():
        yield normalise(text).text


def _paragraph_texts() -> Iterator[str]:
    """The corpus's texts three at a time, set out as paragraphs, as members' posts are: their
    breaks become runs of spaces once translated."""
    texts = corpus_texts()
    for i in range(0, len(texts), 3):
        yield "\n\n".join(texts[i : i + 3])


def _keys(entries: dict[str, list[tuple[int, bool]]], first: int) -> list[tuple[str, int, bool]]:
    """The keys as PhraseAutomata numbers them: in order, from `first`."""
    return [(key, first + i, prefixes[0][1]) for i, (key, prefixes) in enumerate(entries.items())]


def test_an_open_ended_key_runs_to_the_end_of_its_word_or_the_text() -> None:
    keys = [(" hopeless", 0, True), (" give up ", 1, False), (" up ", 2, False)]
    for search in _both(keys) if compiled.built is not None else (PhraseSearch(keys, compiled=False),):
        view = " so hopelessly i give up hopeless"
        # spans are in the folded text, one left of the view's offsets
        assert _hits(search, view) == [(0, [(3, 13), (24, 32)]), (1, [(16, 23)]), (2, [(21, 23)])]


@needs_extension
def test_keys_inside_keys_and_characters_no_key_holds_are_found_alike() -> None:
    keys = [(" a ", 0, False), (" a b ", 1, False), (" b ", 2, False), (" ab", 3, True), (" é ", 4, False)]
    compiled, python = _both(keys)
    view = " a b ab é x a b \u2603 b aé a "
    assert _hits(compiled, view) == _hits(python, view)
    assert {key for key, _ in _hits(compiled, view)} == {0, 1, 2, 3, 4}


_PIECES = st.sampled_from(["a", "b", "ab", "ba", "é", "ß", "ü", "1", "aa"])


@needs_extension
@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.lists(_PIECES, min_size=1, max_size=3).map("".join), min_size=1, max_size=12, unique=True),
    opens=st.lists(st.booleans(), min_size=12, max_size=12),
    text=st.lists(st.one_of(_PIECES, st.sampled_from([" ", "  ", "x", "\u2603"])), max_size=60).map("".join),
)
def test_any_keys_in_any_text_are_found_alike(words: list[str], opens: list[bool], text: str) -> None:
    keys = [(f" {word}" + ("" if opens[i] else " "), i, opens[i]) for i, word in enumerate(words)]
    compiled, python = _both(keys)
    view = f" {text} "
    assert _hits(compiled, view) == _hits(python, view)


@needs_extension
def test_an_automaton_too_large_for_two_byte_moves_finds_alike() -> None:
    # The default pack's states fit in two bytes a move; a pack with more phrases gets four.
    # Every word of seven letters from four, with an "s" after, and their first four letters
    # open-ended.
    words = ["".join(chosen) for chosen in itertools.product("abcd", repeat=7)]
    keys = [(f" {word}s ", i, False) for i, word in enumerate(words)]
    keys += [(f" {prefix}", len(keys) + i, True) for i, prefix in enumerate(sorted({w[:4] for w in words}))]
    compiled, python = _both(keys)
    assert compiled._matcher.states >= 1 << 15 > default_pack(rules_only=True).automata.plain_search._matcher.states
    random = Random(7)
    view = " " + " ".join(random.choice(words) + random.choice(["s", "", "sx", "s"]) for _ in range(3000)) + " "
    assert _hits(compiled, view) == _hits(python, view)
    assert len(_hits(compiled, view)) > 1000


@needs_extension
def test_words_are_split_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    words = 0
    for folded in _folded_corpus():
        view = word_view(folded)
        starts, ends = compiled.built.split_words(folded, view)
        assert (starts, ends) == _split_words_python(folded, view), folded
        words += len(starts)
    assert words > 10_000


def test_an_apostrophe_between_word_characters_joins_their_words() -> None:
    text = "don't 'quote' rock'n'roll it's' o'"
    twins = [_split_words_python] + ([compiled.built.split_words] if compiled.built is not None else [])
    for split in twins:
        starts, ends = split(text, word_view(text))
        assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["don't", "quote", "rock'n'roll", "it's", "o"]


@needs_extension
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "é", "1", "'", " ", "-", "_", ".", "\u2603"]), max_size=40).map("".join))
def test_any_text_is_split_alike(text: str) -> None:
    assert compiled.built is not None
    view = word_view(text)
    assert compiled.built.split_words(text, view) == _split_words_python(text, view)


@needs_extension
def test_sentences_are_read_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    sentences = 0
    for folded in _folded_corpus():
        found = compiled.built.sentences(folded, MAX_FEATURE_CHARS, Sentence)
        assert found == _sentences_python(folded), folded
        sentences += len(found)
    assert sentences > 1_000


# Python's own Unicode tests decide what \s and \w are: a no-break space, an ideographic
# space and a line separator are spaces, Arabic-Indic digits and ß word characters, "_" not.
_SENTENCE_PIECES = [
    "a",
    "bc",
    "ß",
    "٣",
    "_",
    "'",
    ".",
    "!",
    "?",
    "\n",
    " ",
    "\u00a0",
    "\u3000",
    "\u2028",
    "-",
    "x" * 61,
]


@needs_extension
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=30).map("".join))
def test_any_text_has_the_same_sentences(text: str) -> None:
    assert compiled.built is not None
    assert compiled.built.sentences(text, MAX_FEATURE_CHARS, Sentence) == _sentences_python(text)


@needs_extension
def test_leetspeak_is_noticed_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    folded = list(_folded_corpus())
    answers = [_has_leet_in_a_word_python(text) for text in folded]
    assert [compiled.built.has_leet_in_a_word(text) for text in folded] == answers
    assert 0 < sum(answers) < len(answers)


@needs_extension
@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "é", "1", "3", "!", "@", "$", "|", "+", " ", "x", "9", "٣"]), max_size=12).map(
        "".join
    )
)
def test_any_text_has_leetspeak_alike(text: str) -> None:
    assert compiled.built is not None
    assert compiled.built.has_leet_in_a_word(text) == _has_leet_in_a_word_python(text)


@needs_extension
def test_digit_runs_and_address_words_are_found_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    folded = list(_folded_corpus())
    runs = [_digit_runs_python(text) for text in folded]
    assert [compiled.built.digit_runs(text) for text in folded] == runs
    assert 0 < sum(map(bool, runs)) < len(runs)
    # From a word's middle to the end, and from the start to a word's middle, as windows cut.
    words = [_words_in_python(text, 3, len(text) - 3, _ADDRESS_WORDS, 20) for text in folded]
    assert [compiled.built.words_in(text, 3, len(text) - 3, _ADDRESS_WORDS, 20) for text in folded] == words
    assert any(words)


# ASCII digits and digits of other scripts (Arabic-Indic, Devanagari, full-width), letters,
# the underscore a word holds, and signs and spaces between.
_DIGITS_AND_WORDS = st.lists(
    st.sampled_from(["1", "42", "٣", "५", "１", "a", "é", "_", " ", "-", ".", "st", "box", "home", "\u2603"]),
    max_size=20,
).map("".join)


@needs_extension
@settings(max_examples=500, deadline=None)
@given(_DIGITS_AND_WORDS, st.integers(-2, 30), st.integers(-2, 30), st.integers(0, 5))
def test_any_text_has_the_same_digit_runs_and_words(text: str, start: int, end: int, longest: int) -> None:
    assert compiled.built is not None
    assert compiled.built.digit_runs(text) == _digit_runs_python(text)
    words = frozenset(("st", "box", "home", "a_", "1", "é"))
    found = compiled.built.words_in(text, max(0, start), end, words, longest)
    assert found == {
        word for word in _words_in_python(text, max(0, start), end, words, longest) if len(word) <= longest
    }
    assert compiled.built.words_in(text, max(0, start), end, words, 4) == _words_in_python(
        text, max(0, start), end, words, 4
    )


def _name_words_both_ways(scan: TextScan) -> tuple[list[NameWord | None], list[NameWord | None]]:
    """Every candidate's name word, by the Python twin and by the compiled pass."""
    assert compiled.built is not None
    norm = scan.norm
    candidates = scan.name_candidates
    found: tuple[list[NameWord | None], list[NameWord | None]] = ([None] * len(candidates), [None] * len(candidates))
    for fill, known in zip((_fill_name_words_python, compiled.built.fill_name_words), found, strict=True):
        # In two pieces, the second asked over the first's, as detail after detail asks.
        for low, high in ((len(candidates) // 2, len(candidates)), (0, len(candidates))):
            fill(norm.text, norm.original, scan.word_starts, scan.word_ends, candidates,
                 scan._original_word_starts, _NOT_NAMES, known, low, high)  # fmt: skip
    return found


@needs_extension
def test_the_words_that_name_someone_are_found_alike_in_every_corpus_text() -> None:
    named = 0
    for text, scan in _corpus_scans():
        expected, got = _name_words_both_ways(scan)
        assert got == expected, text
        named += sum(word is not None and word[3] for word in expected)
    assert named > 100


# Capitalised words after a full stop, a comma or a line's spaces, handles, contractions,
# words the list says are no one's name, and characters that fold to another length.
_NAME_PIECES = st.sampled_from(
    ["Sam", "sam", "It's", "O'Neil", "'", "@jo", "u/kit", "u/", "@", "I", "Mom", "Ｓam", "ﬁona", "Émile", "3D"]
)


@needs_extension
@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_NAME_PIECES, st.sampled_from([" ", ". ", ", ", "\n\n", "  ", "!"])), max_size=12))
def test_any_text_has_the_same_words_that_name_someone(pieces: list[tuple[str, str]]) -> None:
    scan = TextScan(default_pack(rules_only=True), "".join(gap + word for word, gap in pieces), "US")
    expected, got = _name_words_both_ways(scan)
    assert got == expected


@needs_extension
def test_hits_are_gathered_by_group_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    key_groups = default_pack(rules_only=True).automata.key_groups
    for text, scan in _corpus_scans():
        expected: dict[int, list[list[tuple[int, int]]]] = {}
        _by_group_python(scan.phrase_keys, key_groups, expected)
        gathered: dict[int, list[list[tuple[int, int]]]] = {}
        compiled.built.by_group(scan.phrase_keys, key_groups, gathered)
        assert list(gathered.items()) == list(expected.items()), text


@needs_extension
def test_the_models_assess_every_corpus_text_to_the_same_bits() -> None:
    assert compiled.built is not None
    bank = default_pack().model_bank
    known = 0
    for folded in _folded_corpus():
        counts = features(sentences(folded))
        found = compiled.built.assess(counts, bank._rows, bank._table, bank._bias)
        # Equal floats, not close ones: a score and its threshold compare alike either way.
        assert found == _assess_python(counts, bank._rows, bank._table, bank._bias), folded
        known += len(found[1])
    assert known > 10_000


@needs_extension
@given(
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 50)),
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 5)),
    st.lists(st.floats(-8, 8, allow_nan=False), min_size=36, max_size=36),
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
)
def test_any_counts_are_assessed_alike(
    counts: dict[str, int], rows: dict[str, int], weights: list[float], bias: list[float]
) -> None:
    """Six rows of three models (a weight and an idf² each), some zero or negative where a
    real table has none, so that a text of only unknown or weightless features is asked too."""
    assert compiled.built is not None
    table = array("d", weights)
    assert compiled.built.assess(Counter(counts), rows, table, tuple(bias)) == _assess_python(
        Counter(counts), rows, table, tuple(bias)
    )


def test_a_table_the_index_reaches_past_or_a_count_of_none_is_refused() -> None:
    """The compiled loops read the table in place: a row outside it is an error, not a read
    of whatever memory lies beyond; a count below one is the twin's error too."""
    if compiled.built is None:
        pytest.skip("the extension is not built")
    table = array("d", [1.0, 2.0])
    with pytest.raises(IndexError):
        compiled.built.assess(Counter({"a": 1}), {"a": 1}, table, (0.0,))
    with pytest.raises(ValueError):
        compiled.built.assess(Counter({"a": 0}), {"a": 0}, table, (0.0,))
    with pytest.raises(ValueError):
        _assess_python(Counter({"a": 0}), {"a": 0}, table, (0.0,))
    with pytest.raises(TypeError):
        compiled.built.assess(Counter({"a": 1}), {"a": 0}, array("f", [1.0, 2.0]), (0.0,))


@needs_extension
def test_a_groups_hits_are_merged_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    merged = 0
    for text, scan in _corpus_scans():
        for by_key in scan._key_hits.values():
            assert compiled.built.merged_spans(by_key) == _merged_spans_python(by_key), text
            merged += len(by_key) > 1
    assert merged > 1_000


_SPANS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)).map(lambda s: (s[0], s[0] + s[1])), max_size=6)


@needs_extension
@given(st.lists(_SPANS.map(sorted), max_size=5))
def test_any_sorted_span_lists_merge_alike(by_key: list[list[tuple[int, int]]]) -> None:
    assert compiled.built is not None
    assert compiled.built.merged_spans(by_key) == _merged_spans_python(by_key)


@needs_extension
def test_negations_are_found_alike_for_every_hit_in_the_corpus() -> None:
    assert compiled.built is not None
    pack = default_pack(rules_only=True)
    negation_sets = {rule.negations for rule in pack.rules if rule.negations}
    checked = negated = 0
    for _, scan in _corpus_scans():
        spans = [span for spans in scan.phrase_keys.values() for span in spans]
        for negations in negation_sets:
            present = tuple((n, hits) for n in negations if (hits := scan.hits(n.group)))
            if not present:
                continue
            for start, end in spans:
                expected = _negating_hit_python(start, end, present, scan.word_starts, scan.norm.text)
                assert compiled.built.negating_hit(start, end, present, scan.word_starts, scan.norm.text) == expected
                checked += 1
                negated += expected is not None
            # The spans kept, each answer remembered, alike: asked twice, from nothing and
            # from what the first asking remembered.
            ordered = sorted(spans)
            for unnegated in (_unnegated_python, compiled.built.unnegated):
                known: dict[tuple[int, tuple[int, int]], bool] = {}
                kept = unnegated(ordered, present, scan.word_starts, scan.norm.text, known, 7)
                assert unnegated(ordered, present, scan.word_starts, scan.norm.text, known, 7) == kept
                assert kept == [
                    span
                    for span in ordered
                    if _negating_hit_python(*span, present, scan.word_starts, scan.norm.text) is None
                ]
                assert known == {(7, span): span not in kept for span in ordered}
    assert checked > 10_000 and negated > 1_000


@needs_extension
@settings(max_examples=500, deadline=None)
@given(
    text=st.lists(st.sampled_from(["ab", " ", ".", ";", "c", "!"]), min_size=1, max_size=30).map("".join),
    hits=st.lists(_SPANS.map(sorted), min_size=1, max_size=3),
    sides=st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 3)), min_size=3, max_size=3),
    span=st.tuples(st.integers(0, 12), st.integers(0, 4)).map(lambda s: (s[0], s[0] + s[1])),
)
def test_any_negations_are_found_alike(
    text: str, hits: list[list[tuple[int, int]]], sides: list[tuple[bool, bool, int]], span: tuple[int, int]
) -> None:
    assert compiled.built is not None
    present = tuple(
        (Negation(group=i, within=within, before=before, after=after), found)
        for i, (found, (before, after, within)) in enumerate(zip(hits, sides, strict=False))
        if found
    )
    text = text + " " * 20  # spans and hits stay inside the text
    starts, _ = _split_words_python(text, word_view(text))
    expected = _negating_hit_python(span[0], span[1], present, starts, text)
    assert compiled.built.negating_hit(span[0], span[1], present, starts, text) == expected


@needs_extension
def test_runs_of_spaces_are_folded_alike_in_corpus_texts_set_out_as_paragraphs() -> None:
    assert compiled.built is not None
    folded = 0
    for text in _paragraph_texts():
        translated = text.translate(_ONE_TO_ONE)
        if translated.isascii():
            assert compiled.built.collapse_spaces(translated, _Segment) == _fold(translated), translated
            folded += "  " in translated
    assert folded > 100


@needs_extension
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", ".", " ", "  ", "   ", "x'y"]), max_size=20).map("".join))
def test_any_ascii_text_has_its_spaces_folded_alike(text: str) -> None:
    assert compiled.built is not None
    assert compiled.built.collapse_spaces(text, _Segment) == _fold(text)


@needs_extension
def test_capitalised_words_are_found_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    found = 0
    for text, scan in _corpus_scans():
        starts = scan.norm.original_starts(scan.word_starts)
        expected = _capitalised_python(text, starts)
        assert compiled.built.capitalised(text, starts) == expected, text
        found += len(expected)
    assert found > 1_000


@needs_extension
@given(
    st.text(alphabet=st.sampled_from("aZ É1σΣǅ_'"), max_size=20).flatmap(
        lambda text: st.tuples(st.just(text), st.lists(st.integers(0, len(text)), unique=True).map(sorted))
    )
)
def test_any_text_has_its_capitals_found_alike(case: tuple[str, list[int]]) -> None:
    assert compiled.built is not None
    text, starts = case
    assert compiled.built.capitalised(text, starts) == _capitalised_python(text, starts)


@needs_extension
def test_hits_word_indexes_are_counted_alike_in_every_corpus_text() -> None:
    assert compiled.built is not None
    counted = 0
    for text, scan in _corpus_scans():
        for group in scan._key_hits:
            hits = scan.hits(group)
            for side in (0, 1):
                expected = _hit_words_python(scan.word_starts, hits, side)
                assert compiled.built.hit_words(scan.word_starts, hits, side) == expected, text
                counted += len(expected)
    assert counted > 10_000


@needs_extension
@given(st.lists(st.integers(0, 30), unique=True).map(sorted), _SPANS, st.sampled_from([0, 1]))
def test_any_hits_word_indexes_are_counted_alike(starts: list[int], hits: list[tuple[int, int]], side: int) -> None:
    assert compiled.built is not None
    assert compiled.built.hit_words(starts, hits, side) == _hit_words_python(starts, hits, side)


@needs_extension
def test_original_offsets_are_mapped_alike_in_corpus_texts_set_out_as_paragraphs() -> None:
    assert compiled.built is not None
    mapped = 0
    for text in _paragraph_texts():
        norm = normalise(text)
        if norm.is_plain:
            continue
        scan_starts = _split_words_python(norm.text, word_view(norm.text))[0]
        expected = _original_starts_python(norm._segments or [], norm._segment_starts, scan_starts)
        assert compiled.built.original_starts(norm._segments or [], norm._segment_starts, scan_starts) == expected
        mapped += len(expected)
    assert mapped > 10_000


@needs_extension
@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "B", " ", "  ", "ß", "é", "\u200b", "ﬁ", "\u0301"]), max_size=20)
    .map("".join)
    .map(normalise)
    .filter(lambda norm: not norm.is_plain and bool(norm._segments))
    .flatmap(lambda norm: st.tuples(st.just(norm), st.lists(st.integers(0, len(norm.text)), unique=True).map(sorted)))
)
def test_any_folded_text_maps_its_offsets_back_alike(case: tuple[NormalisedText, list[int]]) -> None:
    assert compiled.built is not None
    norm, starts = case
    segments = norm._segments or []
    expected = _original_starts_python(segments, norm._segment_starts, starts)
    assert compiled.built.original_starts(segments, norm._segment_starts, starts) == expected


@needs_extension
def test_proximity_pairs_are_found_alike_for_every_rule_in_the_corpus() -> None:
    assert compiled.built is not None
    pack = default_pack(rules_only=True)
    leaves = {
        (leaf.first, leaf.second, leaf.within, leaf.ordered)
        for rule in pack.rules
        for node in (rule.match, *rule.vetoes)
        for leaf in _walk(node)
        if isinstance(leaf, NearLeaf)
    }
    assert leaves
    paired = 0
    for _, scan in _corpus_scans():
        for first, second, within, ordered in leaves:
            firsts, seconds = scan.hits(first), scan.hits(second)
            if not firsts or not seconds:
                continue
            args = (
                firsts, scan.start_words(first), scan.end_words(first),
                seconds, scan.start_words(second), None if ordered else scan.end_words(second),
                within, within + pack.longest_phrase_words,
            )  # fmt: skip
            expected = _near_pairs_python(*args)
            assert compiled.built.near_pairs(*args) == expected, scan.norm.text
            paired += len(expected)
    assert paired > 300


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", ()):
        yield from _walk(child)


@needs_extension
@settings(max_examples=500, deadline=None)
@given(
    firsts=_SPANS.map(sorted),
    seconds=_SPANS.map(sorted),
    starts=st.lists(st.integers(0, 14), unique=True).map(sorted),
    within=st.integers(0, 3),
    extra=st.integers(0, 3),
    ordered=st.booleans(),
)
def test_any_hits_pair_alike(
    firsts: list[tuple[int, int]],
    seconds: list[tuple[int, int]],
    starts: list[int],
    within: int,
    extra: int,
    ordered: bool,
) -> None:
    assert compiled.built is not None
    args = (
        firsts, _hit_words_python(starts, firsts, 0), _hit_words_python(starts, firsts, 1),
        seconds, _hit_words_python(starts, seconds, 0), None if ordered else _hit_words_python(starts, seconds, 1),
        within, within + extra,
    )  # fmt: skip
    assert compiled.built.near_pairs(*args) == _near_pairs_python(*args)
