"""One post's text, folded once and searched once: every phrase hit, pattern hit and
personal-data span that the rules of a policy set ask about."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from typing import Any

from haven.policy import classifier
from haven.policy.classifier import Assessment, Sentence
from haven.policy.compiler import PolicySet
from haven.policy.normalise import NormalisedText, normalise, word_view
from haven.policy.pii import DETECTORS

Span = tuple[int, int]
_MAX_HITS_PER_PATTERN = 20
# Hits already named (group, text, leetspeak reading -> phrase): a few hundred KiB at most.
_NAMED_HITS_KEPT = 4096
_WORD = re.compile(r"\w+(?:'\w+)*")
_LEET_CHARACTER = re.compile(r"[013457@$|+!]")
_HANDLE_MARK = re.compile(r"@|u/")


def _has_leet_in_a_word(text: str) -> bool:
    """A digit or symbol touching a letter, as in "k1ll" or "d!e" ("!" only before one)."""
    for found in _LEET_CHARACTER.finditer(text):
        at = found.start()
        if at + 1 < len(text) and text[at + 1].isalpha():
            return True
        if at > 0 and text[at - 1].isalpha() and found.group() != "!":
            return True
    return False


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


class TextScan:
    """Everything found in one text: folded once, searched once, shared by every rule."""

    def __init__(self, policy_set: PolicySet, text: str, region: str) -> None:
        self.policy_set = policy_set
        self.norm: NormalisedText = normalise(text)
        self.region = region
        self.groups: dict[int, list[Span]] = {}
        self.view = ""  # word_view of the folded text, kept for protected-identity matching
        self._words: list[Span] | None = None
        self._name_candidates: list[int] | None = None
        self._word_starts: list[int] = []
        self._pii: dict[str, list[Span]] = {}
        self._sentences: list[Sentence] | None = None
        self._assessments: dict[tuple[int, ...], Assessment] = {}
        self._kept: dict[Callable[[Span], bool], tuple[int, ...]] = {}
        self._search_phrases()
        self._search_patterns()

    @staticmethod
    def _collect(automaton: Any, view: str, found: dict[int, list[Span]]) -> None:
        """Hits of whole words and phrases, in folded-text offsets (the view is padded by one)."""
        if automaton is None:
            return
        size = len(view)
        for end_index, (length, whole, prefixed) in automaton.iter(view):
            start = end_index - length + 1  # the key's leading space; the phrase starts one later
            if whole:
                span = (start, end_index - 1)
                for group in whole:
                    if group in found:
                        found[group].append(span)
                    else:
                        found[group] = [span]
            if prefixed:
                end = end_index + 1
                while end < size and view[end] != " ":
                    end += 1
                for group in prefixed:
                    found.setdefault(group, []).append((start, end - 1))

    def _search_phrases(self) -> None:
        automata = self.policy_set.automata
        found: dict[int, list[Span]] = {}
        self.view = word_view(self.norm.text)
        self._collect(automata.compiled_plain, self.view, found)
        # Leetspeak puts digits and symbols inside words ("k1ll", "d!e"); a text without any
        # gives the leet pass nothing the plain pass has not found.
        if automata.compiled_leet is not None and _has_leet_in_a_word(self.norm.text):
            self._collect(automata.compiled_leet, word_view(self.norm.leet), found)
            unordered: Iterable[int] = found
        else:
            unordered = self.policy_set.overlapping_groups.intersection(found)
        for group in unordered:
            spans = found[group]
            if len(spans) > 1:
                # Hits arrive by end; overlapping phrases and the leet pass can repeat or reorder.
                spans[:] = sorted(set(spans))
        self.groups = found

    def _search_patterns(self) -> None:
        if not self.policy_set.regex_sets:
            return
        # RE2 works on UTF-8: encode once, rather than once per set and pattern inside the
        # wrapper. Byte offsets are character offsets when the text is ASCII; otherwise the
        # few spans found are mapped back.
        text = self.norm.text
        data = text.encode("utf-8", "surrogatepass")
        is_ascii = len(data) == len(text)
        sets = self.policy_set.regex_sets
        matched = [groups[i] for pattern_set, groups in sets for i in pattern_set.Match(data) or ()]
        for group in matched:
            spans = []
            for found in self.policy_set.regex_patterns[group].finditer(data):
                start, end = found.start(), found.end()
                if end > start:
                    if not is_ascii:
                        start = len(data[:start].decode("utf-8", "ignore"))
                        end = len(data[:end].decode("utf-8", "ignore"))
                    spans.append((start, end))
                if len(spans) >= _MAX_HITS_PER_PATTERN:
                    break
            if spans:
                self.groups[group] = spans

    @property
    def words(self) -> list[Span]:
        if self._words is None:
            self._words = [m.span() for m in _WORD.finditer(self.norm.text)]
            self._word_starts = [s for s, _ in self._words]
        return self._words

    @property
    def word_starts(self) -> list[int]:
        if self._words is None:
            _ = self.words
        return self._word_starts

    @property
    def name_candidates(self) -> list[int]:
        """The indexes of the words that may name someone (see `is_name_at`): an @handle or
        u/handle, or a word its author began with a capital letter. No other word can."""
        if self._name_candidates is None:
            words = self.words
            original = self.norm.original
            starts = self.norm.original_starts(self._word_starts)
            size = len(original)
            found = {i for i, at in enumerate(starts) if at < size and original[at].isupper()}
            for handle in _HANDLE_MARK.finditer(self.norm.text):
                index = bisect.bisect_left(self._word_starts, handle.end())
                if index < len(words) and words[index][0] == handle.end():
                    found.add(index)
            self._name_candidates = sorted(found)
        return self._name_candidates

    def word_index(self, position: int) -> int:
        """How many words start before `position`."""
        if self._words is None:
            _ = self.words
        return bisect.bisect_left(self._word_starts, position)

    def words_between(self, left: int, right: int) -> int:
        """How many words start at or after `left` and before `right`."""
        if right <= left:
            return 0
        if self._words is None:
            _ = self.words
        return bisect.bisect_left(self._word_starts, right) - bisect.bisect_left(self._word_starts, left)

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

    def hits(self, group: int) -> list[Span]:
        """The hits of a phrase group or pattern, in start order (empty when none)."""
        return self.groups.get(group) or []

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
        """A capitalised word that is not the first of a sentence, or an @handle or u/handle.

        `sentence_start`: the first word of a sentence counts too (the caller knows more,
        such as a reporting verb right after it); a contraction's stem ("It's") must not
        be a common word either.
        """
        start, end = span
        token = self.norm.text[start:end]
        if token.startswith(("@", "u/")):
            return True
        if token in _NOT_NAMES or not token.replace("'", "").isalpha():
            return False
        if sentence_start and token.split("'")[0] in _NOT_NAMES:
            return False
        original = self.norm.original
        orig_start, _ = self.norm.original_span(start, end)
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
