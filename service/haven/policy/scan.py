"""One post's text, folded once and searched once: every phrase hit, pattern hit and
personal-data span that the rules of a policy set ask about."""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Callable
from typing import NamedTuple, cast

from haven.policy import classifier, compiled
from haven.policy.classifier import Assessment, Sentence
from haven.policy.compiler import PolicySet
from haven.policy.normalise import NormalisedText, normalise, word_view
from haven.policy.pii import DETECTORS

Span = tuple[int, int]
# A word that may name someone: its span, where its name starts (see TextScan.name_words), and
# whether it does.
NameWord = tuple[int, int, int, bool]
_MAX_HITS_PER_PATTERN = 20
# Hits already named (group, text, leetspeak reading -> phrase): a few hundred KiB at most.
_NAMED_HITS_KEPT = 4096
_LEET_CHARACTER = re.compile(r"[013457@$|+!]")
# What comes just before a handle's name: "@sam", "u/sam".
_HANDLE_MARKS = ("@", "u/")


def _has_leet_in_a_word_python(text: str) -> bool:
    """A digit or symbol touching a letter, as in "k1ll" or "d!e" ("!" only before one)."""
    for found in _LEET_CHARACTER.finditer(text):
        at = found.start()
        if at + 1 < len(text) and text[at + 1].isalpha():
            return True
        if at > 0 and text[at - 1].isalpha() and found.group() != "!":
            return True
    return False


def _by_group_python(
    found: dict[int, list[Span]], key_groups: list[tuple[int, ...]], groups: dict[int, list[list[Span]]]
) -> None:
    """Adds each key's spans in `found` to the groups the key belongs to (by key number)."""
    for key, spans in found.items():
        for group in key_groups[key]:
            if group in groups:
                groups[group].append(spans)
            else:
                groups[group] = [spans]


# Capitalised words that are not someone's name.
_NOT_NAMES = frozenset(
    (  # noqa: SIM905 -- a word list reads better as prose
        "i i'm i've i'd i'll im ive mom mum dad god jesus lord monday tuesday wednesday thursday "
        "friday saturday sunday january february march april may june july august september "
        "october november december english reddit discourse slack facebook instagram aa na "
        "dr doctor my the a an and but so he she they we you it this that what when why how "
        "ok okay thanks hi hey hello someone somebody everyone everybody anyone nobody people "
        "there here let where who sponsor therapist counselor counsellor"
    ).split()
)


def _is_name(
    text: str,
    original: str,
    start: int,
    end: int,
    orig_start: int,
    not_names: frozenset[str],
    *,
    sentence_start: bool = False,
) -> bool:
    """Whether text[start:end] (folded; `orig_start` where it starts in `original`) is a
    capitalised word that is not the first of a sentence nor one of `not_names`, or an
    @handle or u/handle.

    `sentence_start`: the first word of a sentence counts too (the caller knows more, such
    as a reporting verb right after it); a contraction's stem ("It's") must not be a common
    word either.
    """
    token = text[start:end]
    if token.startswith(_HANDLE_MARKS):
        return True
    if token in not_names or not token.replace("'", "").isalpha():
        return False
    if sentence_start and token.split("'")[0] in not_names:
        return False
    if orig_start >= len(original) or not original[orig_start].isupper():
        return False
    if sentence_start:
        return True
    # The last character before the word that is not white space (what rstrip would
    # leave), looked for in place: copying the text before it costs a long post dearly.
    at = orig_start - 1
    while at >= 0 and original[at].isspace():
        at -= 1
    return at >= 0 and original[at] not in ".!?:\"'"


def _fill_name_words_python(
    text: str,
    original: str,
    starts: list[int],
    ends: list[int],
    candidates: list[int],
    original_starts: list[int],
    not_names: frozenset[str],
    known: list[NameWord | None],
    low: int,
    high: int,
) -> None:
    """Fills each empty `known[i]` for i in [low, high) with candidate word i's span, where
    its name starts and whether it names someone (see TextScan.name_words): the twin of the
    compiled `fill_name_words`. `original_starts`: where each word starts in `original`."""
    for index in range(low, high):
        if known[index] is None:
            word = candidates[index]
            w_start, w_end = starts[word], ends[word]
            # The word pattern splits a handle from its mark: its name starts at the mark.
            head = w_start - 2 if text[max(0, w_start - 2) : w_start] == "u/" else w_start
            head = w_start - 1 if head == w_start and text[max(0, w_start - 1) : w_start] == "@" else head
            # A handle's mark answers before its start in `original` is read.
            known[index] = (
                w_start,
                w_end,
                head,
                _is_name(text, original, head, w_end, original_starts[word], not_names),
            )


def _without(values: list[int], drop: list[int]) -> list[int]:
    """`values` without the items at the indexes `drop` (ascending), copied in slices."""
    kept: list[int] = []
    after = 0
    for index in drop:
        kept += values[after:index]
        after = index + 1
    kept += values[after:]
    return kept


def _ends_of(text: str, marks: tuple[str, ...]) -> list[int]:
    """Where each occurrence of each mark ends in `text` (marks that cannot overlap): found by
    `str.find`, a C search, where a pattern would try a match at every character."""
    ends: list[int] = []
    for mark in marks:
        at = text.find(mark)
        while at >= 0:
            ends.append(at + len(mark))
            at = text.find(mark, at + len(mark))
    return ends


def _character_spans(data: bytes, spans: list[Span]) -> list[Span]:
    """Byte spans of UTF-8 `data` (ascending, not overlapping, as one pattern's matches are)
    as character spans, in one walk: decoding all the text before each span made a long
    post's cost grow with its length squared."""
    found: list[Span] = []
    byte = character = 0
    for start, end in spans:
        character += len(data[byte:start].decode("utf-8", "ignore"))
        first = character
        character += len(data[start:end].decode("utf-8", "ignore"))
        byte = end
        found.append((first, character))
    return found


def _split_words_python(text: str, view: str) -> tuple[list[int], list[int]]:
    """Where each word of `text` starts and ends (`\\w+(?:'\\w+)*`), from its word view
    (normalise.word_view): split at its spaces, a plain C split several times faster than a
    regular expression's, with no object per word but the pieces (a long post has
    thousands). The twin of the compiled `split_words`."""
    pieces = view.split(" ")
    # Where each piece ends in the view, counting the space after it; a word's end in the
    # text is two less (that space, and the view's leading one).
    bounds = itertools.accumulate(map(operator.add, map(len, pieces), itertools.repeat(1)))
    ends = list(map(operator.sub, itertools.compress(bounds, pieces), itertools.repeat(2)))
    starts = list(map(operator.sub, ends, map(len, filter(None, pieces))))
    # An apostrophe between two word characters joins their words ("don't").
    joins = []
    at = text.find("'")
    while at >= 0:
        if view[at] != " " and view[at + 2] != " ":  # text[at - 1] and text[at + 1]
            joins.append(bisect.bisect_left(ends, at))
        at = text.find("'", at + 1)
    if joins:
        ends = _without(ends, joins)
        starts = _without(starts, [j + 1 for j in joins])
    return starts, ends


def _capitalised_python(text: str, starts: list[int]) -> list[int]:
    """The indexes of `starts` (ascending offsets into `text`) where `text` has an upper-case
    letter; an offset past the end has none. C loops, not a Python one per word: a long
    post has thousands."""
    # One character past the end, so that every start indexes a character.
    initials = map((text + " ").__getitem__, starts)
    return list(itertools.compress(itertools.count(), map(str.isupper, initials)))


def _hit_words_python(starts: list[int], hits: list[Span], side: int) -> list[int]:
    """For each hit, how many of `starts` (ascending) lie before its start (`side` 0) or its
    end (`side` 1)."""
    return [bisect.bisect_left(starts, hit[side]) for hit in hits]


def _merged_spans_python(by_key: list[list[Span]]) -> list[Span]:
    """Several keys' spans (each list in order) as one list in order, each span once: the lists
    joined end to end are runs a sort merges, and equal spans then lie side by side for
    dict.fromkeys to drop."""
    return list(dict.fromkeys(sorted(itertools.chain.from_iterable(by_key))))


# The compiled twins where the extension is built (see haven.policy.compiled).
split_words: Callable[[str, str], tuple[list[int], list[int]]] = (
    compiled.core.split_words if compiled.core is not None else _split_words_python
)
has_leet_in_a_word: Callable[[str], bool] = (
    compiled.core.has_leet_in_a_word if compiled.core is not None else _has_leet_in_a_word_python
)
by_group: Callable[[dict[int, list[Span]], list[tuple[int, ...]], dict[int, list[list[Span]]]], None] = (
    compiled.core.by_group if compiled.core is not None else _by_group_python
)
merged_spans: Callable[[list[list[Span]]], list[Span]] = (
    compiled.core.merged_spans if compiled.core is not None else _merged_spans_python
)
capitalised: Callable[[str, list[int]], list[int]] = (
    compiled.core.capitalised if compiled.core is not None else _capitalised_python
)
hit_words: Callable[[list[int], list[Span], int], list[int]] = (
    compiled.core.hit_words if compiled.core is not None else _hit_words_python
)
fill_name_words: Callable[
    [str, str, list[int], list[int], list[int], list[int], frozenset[str], list[NameWord | None], int, int], None
] = compiled.core.fill_name_words if compiled.core is not None else _fill_name_words_python


class PreparedText(NamedTuple):
    """A text folded and its patterns found, ahead of the rest of its scan (`prepare_text`)."""

    policy_set: PolicySet
    text: str
    norm: NormalisedText
    patterns: dict[int, list[Span]]  # each pattern's hits, by group, as TextScan.patterns


def prepare_text(policy_set: PolicySet, text: str) -> PreparedText:
    """The part of a text's scan that its pattern sets do. A batch's texts are best prepared
    one after another before any is judged: the sets' DFAs are large tables that judging a
    post pushes out of the CPU's caches, and a look at a text costs several times as much
    when they must be read back from memory (bench/pattern_cache.py, bench/README.md)."""
    norm = normalise(text)
    search = policy_set.patterns
    if not search:
        return PreparedText(policy_set, text, norm, {})
    # RE2 works on UTF-8: encode once, rather than once per set and pattern inside the
    # wrapper. Byte offsets are character offsets when the text is ASCII; otherwise the
    # few spans found are mapped back.
    folded = norm.text
    data = folded.encode("utf-8", "surrogatepass")
    is_ascii = len(data) == len(folded)
    found = search.find(data, is_ascii, _MAX_HITS_PER_PATTERN)
    if not is_ascii:
        found = {group: _character_spans(data, spans) for group, spans in found.items()}
    return PreparedText(policy_set, text, norm, found)


class TextScan:
    """Everything found in one text: folded once, searched once, shared by every rule."""

    def __init__(self, policy_set: PolicySet, text: str, region: str, prepared: PreparedText | None = None) -> None:
        if prepared is None:
            prepared = prepare_text(policy_set, text)
        elif prepared.policy_set is not policy_set or prepared.text != text:
            raise ValueError("the text was prepared for another text or policy set")
        self.policy_set = policy_set
        self.norm: NormalisedText = prepared.norm
        self.region = region
        # Each phrase group's and pattern's hits in start order, worked out when first asked.
        self.groups: dict[int, list[Span]] = {}
        self.phrase_keys: dict[int, list[Span]] = {}  # each phrase key's hits (see PhraseAutomata)
        self.patterns: dict[int, list[Span]] = {}  # the hits of each pattern found
        self._key_hits: dict[int, list[list[Span]]] = {}  # a phrase group's hits, by key
        self.view = ""  # word_view of the folded text, kept for protected-identity matching
        self._words: list[Span] | None = None
        self._name_candidates: list[int] | None = None
        self._names: dict[tuple[int, int, bool], bool] = {}
        self._name_words: list[NameWord | None] | None = None
        self._original_word_starts: list[int] = []  # set with _name_candidates
        self._word_starts: list[int] | None = None
        self._word_ends: list[int] = []
        self._pii: dict[str, list[Span]] = {}
        self._sentences: list[Sentence] | None = None
        self._assessments: dict[tuple[int, ...], Assessment] = {}
        self._kept: dict[Callable[[Span], bool], tuple[int, ...]] = {}
        self._hit_word_indexes: dict[tuple[int, int], list[int]] = {}
        self._search_phrases()
        for group, spans in prepared.patterns.items():
            self.groups[group] = self.patterns[group] = spans

    def _search_phrases(self) -> None:
        automata = self.policy_set.automata
        found: dict[int, list[Span]] = {}
        self.view = word_view(self.norm.text)
        if automata.plain_search is not None:
            automata.plain_search.collect(self.view, found)
        # Leetspeak puts digits and symbols inside words ("k1ll", "d!e"); a text without any
        # gives the leet pass nothing the plain pass has not found.
        if automata.leet_search is not None and has_leet_in_a_word(self.norm.text):
            automata.leet_search.collect(word_view(self.norm.leet), found)
        self.phrase_keys = found
        by_group(found, automata.key_groups, self._key_hits)

    def _split_words(self) -> list[int]:
        self._word_starts, self._word_ends = split_words(self.norm.text, self.view)
        return self._word_starts

    @property
    def words(self) -> list[Span]:
        if self._words is None:
            self._words = list(zip(self.word_starts, self._word_ends, strict=True))
        return self._words

    @property
    def word_starts(self) -> list[int]:
        """Where each word starts: all that counting words needs, without a span for each."""
        return self._split_words() if self._word_starts is None else self._word_starts

    @property
    def word_ends(self) -> list[int]:
        if self._word_starts is None:
            self._split_words()
        return self._word_ends

    @property
    def name_candidates(self) -> list[int]:
        """The indexes of the words that may name someone (see `_is_name`): an @handle or
        u/handle, or a word its author began with a capital letter. No other word can."""
        if self._name_candidates is None:
            word_starts = self.word_starts
            self._original_word_starts = self.norm.original_starts(word_starts)
            found = set(capitalised(self.norm.original, self._original_word_starts))
            for end in _ends_of(self.norm.text, _HANDLE_MARKS):
                index = bisect.bisect_left(word_starts, end)
                if index < len(word_starts) and word_starts[index] == end:
                    found.add(index)
            self._name_candidates = sorted(found)
        return self._name_candidates

    def name_words(self, low: int, high: int) -> list[NameWord]:
        """For `name_candidates[low:high]`: each word's span, where its name starts (one or two
        characters earlier for an @handle or u/handle, which the word pattern splits) and
        whether it names someone (`_is_name`, not at a sentence's start). Worked out for the
        candidates asked about only: in a post of any length, most are in reach of no detail."""
        candidates = self.name_candidates
        known = self._name_words
        if known is None:
            known = self._name_words = [None] * len(candidates)
        norm = self.norm
        fill_name_words(norm.text, norm.original, self.word_starts, self.word_ends, candidates,
                        self._original_word_starts, _NOT_NAMES, known, low, high)  # fmt: skip
        return cast(list[NameWord], known[low:high])  # each one filled above

    def start_words(self, group: int) -> list[int]:
        """How many words start before each hit of `group` starts (the hits' word indexes)."""
        return self._hit_words(group, 0)

    def end_words(self, group: int) -> list[int]:
        """How many words start before each hit of `group` ends."""
        return self._hit_words(group, 1)

    def _hit_words(self, group: int, side: int) -> list[int]:
        # Worked out once a post: proximity rules ask of the same groups again and again,
        # and a long post's common words have thousands of hits.
        found = self._hit_word_indexes.get((group, side))
        if found is None:
            found = self._hit_word_indexes[group, side] = hit_words(self.word_starts, self.hits(group), side)
        return found

    def words_between(self, left: int, right: int) -> int:
        """How many words start at or after `left` and before `right`."""
        if right <= left:
            return 0
        starts = self.word_starts
        return bisect.bisect_left(starts, right) - bisect.bisect_left(starts, left)

    def phrase(self, group: int, span: Span) -> str:
        """The phrase of `group`, as its author wrote it, that the hit at `span` is."""
        start, end = span
        key = (group, self.norm.text[start:end], self.norm.leet[start:end])
        names = self.policy_set.automata.named_hits
        name = names.get(key)
        if name is None:
            matched = " ".join(word_view(key[1]).split())
            matched_leet = " ".join(word_view(key[2]).split())
            name = self.policy_set.automata.phrase_named(group, matched, matched_leet)
            if len(names) >= _NAMED_HITS_KEPT:
                names.clear()
            names[key] = name
        return name

    @functools.cached_property
    def groups_found(self) -> set[int]:
        """The phrase groups and patterns with at least one hit in the text."""
        return set(self._key_hits).union(self.patterns)

    def hits(self, group: int) -> list[Span]:
        """The hits of a phrase group or pattern, in start order (empty when none)."""
        found = self.groups.get(group)
        if found is None:
            by_key = self._key_hits.get(group)
            if by_key is None:
                found = []
            elif len(by_key) == 1:
                found = by_key[0]
            else:
                # Phrases of a group can overlap (or the leet pass find them again): once each.
                found = merged_spans(by_key)
            self.groups[group] = found
        return found

    def pii(self, kind: str) -> list[Span]:
        if kind not in self._pii:
            self._pii[kind] = DETECTORS[kind](self.norm.text, self.region)
        return self._pii[kind]

    @property
    def sentences(self) -> list[Sentence]:
        if self._sentences is None:
            self._sentences = classifier.sentences(self.norm.text)
        return self._sentences

    def kept_sentences(self, keep: Callable[[Span], bool]) -> tuple[int, ...]:
        """The indexes of the sentences a judge keeps (the author's own, or the quoted ones)."""
        if keep not in self._kept:
            self._kept[keep] = tuple(i for i, s in enumerate(self.sentences) if keep((s.start, s.end)))
        return self._kept[keep]

    def model_assessment(self, kept: tuple[int, ...]) -> Assessment:
        """Every model's view of the sentences `kept` (indexes into `sentences`): the models of
        the set are scored together, once per post however many rules ask."""
        if kept not in self._assessments:
            parts = [self.sentences[i] for i in kept]
            self._assessments[kept] = self.policy_set.model_bank.assess(classifier.features(parts))
        return self._assessments[kept]

    def is_name_at(self, span: Span, *, sentence_start: bool = False) -> bool:
        """Whether the word at `span` names someone (see `_is_name`): asked again of the same
        word by every detail in its reach, so answered once."""
        key = (span[0], span[1], sentence_start)
        known = self._names.get(key)
        if known is None:
            start, end = span
            norm = self.norm
            orig_start, _ = norm.original_span(start, end)
            known = self._names[key] = _is_name(norm.text, norm.original, start, end, orig_start, _NOT_NAMES,
                                                sentence_start=sentence_start)  # fmt: skip
        return known
