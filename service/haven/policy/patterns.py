"""A policy set's regular expressions, found in a post's folded text with few passes.

All patterns are searched together in RE2 sets, a lazily built DFA each. Two things keep that
DFA small, which is what its cost on text it has not seen before comes down to:

* A pattern with a long counted gap (`\\bset\\s+a\\s+date\\b[^.!?]{0,60}\\b(?:end|die)\\b`) makes
  the DFA track every position of the gap for every place the gap may have begun. Such a
  pattern is not put in a set whole: its pieces between the gaps are, and the pattern itself
  runs only on a text where every piece was found (each piece of a match is a match of the
  piece, so no text that the whole pattern matches is passed over).
* Folded text is lower case (`normalise`), so a pattern without upper-case or non-ASCII
  characters, and without escapes that name characters, matches it the same with case
  folding or without; those patterns go in sets that do not fold case, whose DFAs are half
  the size. Any other pattern keeps case folding.

Measured in bench/README.md ("The broker's clients, the pattern sets and the crisis path")
and by bench/pattern_sets.py; the semantics are the tests' to keep
(tests/unit/policy/test_patterns.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import re2

from haven.policy.errors import PolicyError, PolicyLoadError
from haven.policy.loader import compile_regex, regex_options

# Sets of 64 were 10-15% faster than sets of 32 for 6 MiB more, sets of 96 and more no
# faster (bench/README.md).
PATTERNS_PER_SET = 64
PATTERN_SET_MEMORY = 64 << 20
# A counted repetition {m,n} with n - m at least this is a gap worth splitting at.
GAP_WIDTH = 8

_QUANTIFIER = re.compile(r"(?:[*+?]|\{(\d+)(?:,(\d*))?\})\??")
# Escapes that mean the same with case folding or without: classes and assertions over ASCII,
# and escaped punctuation.
_CASELESS_ESCAPES = frozenset("bBdDsSwWAz")
# Samples on which a piece that can match nothing at all would show it.
_EMPTY_PROBES = ("", " ", "a", "a a", ".")


def _atom_end(source: str, at: int) -> int:
    """Where the atom that starts at `at` ends: an escape, a class, a group or a character."""
    char = source[at]
    if char == "\\":
        if source[at + 1 : at + 2] in ("p", "P", "x") and source[at + 2 : at + 3] == "{":
            return source.index("}", at) + 1
        return at + 2
    if char == "[":
        i = at + 1
        if source[i : i + 1] == "^":
            i += 1
        if source[i : i + 1] == "]":
            i += 1
        while source[i] != "]":
            if source[i] == "\\":
                i += 2
            elif source.startswith("[:", i):
                i = source.index(":]", i) + 2
            else:
                i += 1
        return i + 1
    if char == "(":
        depth, i = 0, at
        while True:
            c = source[i]
            if c == "\\":
                i += 2
                continue
            if c == "[":
                i = _atom_end(source, i)
                continue
            depth += (c == "(") - (c == ")")
            if depth == 0:
                return i + 1
            i += 1
    return at + 1


def _pieces_between_gaps(source: str) -> list[str] | None:
    """The pattern's top-level pieces between its long counted gaps; None when it has no gap
    or a form this reading does not follow (top-level alternation, flags, \\Q...\\E)."""
    if "\\Q" in source or re.search(r"\(\?(?!:)", source):
        return None
    pieces: list[tuple[str, bool]] = []
    at = 0
    while at < len(source):
        if source[at] == "|":
            return None
        end = _atom_end(source, at)
        quantifier = _QUANTIFIER.match(source, end)
        gap = False
        if quantifier:
            low, high = quantifier.group(1), quantifier.group(2)
            gap = low is not None and bool(high) and int(high) - int(low) >= GAP_WIDTH
            end = quantifier.end()
        pieces.append((source[at:end], gap))
        at = end
    if not any(gap for _, gap in pieces):
        return None
    between, current = [], ""
    for text, gap in pieces:
        if gap:
            between.append(current)
            current = ""
        else:
            current += text
    between.append(current)
    return [piece for piece in between if piece]


def _can_match_nothing(piece: str) -> bool:
    found = (compile_regex(piece).search(probe) for probe in _EMPTY_PROBES)
    return any(m is not None and m.end() == m.start() for m in found)


def necessary_pieces(source: str) -> list[str] | None:
    """Patterns that each match wherever `source` does, in its place in a set; None to put the
    pattern itself there. A piece that can match the empty string tells nothing and is left out."""
    try:
        pieces = _pieces_between_gaps(source)
        if pieces is None:
            return None
        kept = [piece for piece in pieces if not _can_match_nothing(piece)]
    except (IndexError, ValueError, re2.error):
        return None  # a form the reading above does not follow: the whole pattern, as before
    return kept or None


def case_neutral(source: str) -> bool:
    """No upper-case or non-ASCII character and no escape that names a character: on folded
    text such a pattern matches the same whether case is folded or not."""
    at = 0
    while at < len(source):
        char = source[at]
        if char == "\\":
            escaped = source[at + 1 : at + 2]
            if escaped.isalnum() and escaped not in _CASELESS_ESCAPES:
                return False
            at += 2
            continue
        if not char.isascii() or char.isupper():
            return False
        at += 1
    return True


class PatternSearch:
    """Every pattern leaf of a policy set: which may match a text, and the matches of each."""

    def __init__(self, sources: list[tuple[int, str]], root: Path) -> None:
        self.patterns: dict[int, re2._Regexp] = {group: compile_regex(source) for group, source in sources}
        entries: list[str] = []
        index: dict[str, int] = {}

        def entry(source: str) -> int:
            if source not in index:
                index[source] = len(entries)
                entries.append(source)
            return index[source]

        # An entry's groups found whenever the set reports it; a gapped group's entries, all needed.
        self._whole: dict[int, list[int]] = {}
        self._gapped: list[tuple[int, frozenset[int]]] = []
        for group, source in sources:
            pieces = necessary_pieces(source)
            if pieces is None:
                self._whole.setdefault(entry(source), []).append(group)
            else:
                self._gapped.append((group, frozenset(entry(piece) for piece in pieces)))
        neutral_entries = [case_neutral(source) for source in entries]
        self._sets: list[tuple[re2.Set, list[int]]] = []
        for neutral in (True, False):
            chosen = [i for i, is_neutral in enumerate(neutral_entries) if is_neutral == neutral]
            for first in range(0, len(chosen), PATTERNS_PER_SET):
                chunk = chosen[first : first + PATTERNS_PER_SET]
                self._sets.append((_compiled_set([entries[i] for i in chunk], neutral, root), chunk))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def candidates(self, data: bytes) -> list[int]:
        """The groups whose pattern may match `data` (folded text, UTF-8): every group that
        does, and gapped groups whose pieces all matched, which their own search settles."""
        found = {entries[i] for regexes, entries in self._sets for i in regexes.Match(data) or ()}
        if not found:
            return []
        whole = self._whole
        groups = [group for i in found for group in whole.get(i, ())]
        groups += [group for group, needed in self._gapped if needed <= found]
        return groups


def _compiled_set(sources: list[str], case_sensitive: bool, root: Path) -> re2.Set:
    options = regex_options()
    options.case_sensitive = case_sensitive
    options.max_mem = PATTERN_SET_MEMORY
    regexes = re2.Set.SearchSet(options)
    for source in sources:
        regexes.Add(source)
    try:
        regexes.Compile()
    except re2.error:
        raise PolicyLoadError([PolicyError(root, 1, 1, "these patterns are too large to compile together")]) from None
    return regexes
