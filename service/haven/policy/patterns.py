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

On a long text a third thing keeps the cost per character flat. A pattern that a set reports
was, until then, searched for over the whole text, and on a long post nearly every pattern is
reported somewhere: a forty-thousand-character post was searched end to end a hundred times.
Most patterns cannot match more than a few dozen characters (`widest`), so a long text is cut
into blocks, each set looks at each block with that reach past its end, and a pattern is then
searched for only in the blocks whose look found it (`_blocks`, `PatternSearch.find`).

Measured in bench/README.md ("The broker's clients, the pattern sets and the crisis path",
"Long posts: patterns looked for in the blocks that hold them") and by
bench/pattern_sets.py; the semantics are the tests' to keep (tests/unit/policy/test_patterns.py).
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from pathlib import Path
from typing import Any, NamedTuple

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

# A text of at least this many bytes is looked at in blocks of about BLOCK_BYTES; shorter ones
# whole. A block's look costs a call per set, so blocks much smaller than this lose more in
# calls than they save in search.
BLOCK_BYTES = 2048
LONG_TEXT_BYTES = 4 * BLOCK_BYTES
# The sets' second look, block by block, costs what searching some dozens of patterns over the
# whole text does: on texts of 10,000 characters with 20-34 such patterns found, blocks made
# the pattern stage 4% dearer; on texts of 40,000 with 69-83, 14% cheaper (bench/pattern_blocks.py).
# A real post seldom has ten.
BLOCKS_PAY_FROM = 40
# Patterns that may match more characters than this are searched for in the whole text.
WIDEST_IN_BLOCKS = 256
_UNBOUNDED = 1 << 30
# What RE2's \s matches, and what a class of whitespace may hold.
_WHITESPACE = frozenset(map(ord, " \t\n\v\f\r"))
_WHITESPACE_PAIR = re.compile(rb"[ \t\n\v\f\r]{2}")
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


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


def _whitespace_only(tree: Any) -> bool:
    """Whether every character the (parsed) expression can match is whitespace."""
    for op, arg in tree:
        if op is sre.LITERAL:
            if arg not in _WHITESPACE:
                return False
        elif op is sre.IN:
            if not all(
                (kind is sre.LITERAL and value in _WHITESPACE) or (kind is sre.CATEGORY and value is sre.CATEGORY_SPACE)
                for kind, value in arg
            ):
                return False
        elif op is sre.SUBPATTERN:
            if not _whitespace_only(arg[-1]):
                return False
        elif op is sre.BRANCH:
            if not all(_whitespace_only(branch) for branch in arg[1]):
                return False
        elif op in _REPEATS:
            if not _whitespace_only(arg[2]):
                return False
        else:
            return False
    return True


def _widest_parsed(tree: Any) -> int:
    total = 0
    for op, arg in tree:
        if op in _REPEATS:
            _, most, item = arg
            if _whitespace_only(item):
                total += 1  # a run of whitespace is one character in the texts this is used on
            elif most == sre.MAXREPEAT:
                return _UNBOUNDED
            else:
                total += most * _widest_parsed(item)
        elif op is sre.SUBPATTERN:
            total += _widest_parsed(arg[-1])
        elif op is sre.BRANCH:
            total += max(_widest_parsed(branch) for branch in arg[1])
        elif op is sre.AT:
            pass  # \b, ^, $: no character
        elif op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY):
            total += 1
        else:
            return _UNBOUNDED  # a form RE2 has no use for here (lookaround, back reference)
        if total >= _UNBOUNDED:
            return _UNBOUNDED
    return total


def widest(source: str) -> int | None:
    """The most characters a match of `source` can hold in a text where whitespace never comes
    two in a row (folded text collapses runs of it), or None when that has no bound or the
    pattern can match nothing at all.

    Read with Python's own parser, which reads the forms the policies use as RE2 does; a
    form it reads otherwise or not at all (POSIX classes, \\p, \\Q) counts as no bound."""
    if "[:" in source:
        return None
    try:
        parsed = sre_parse.parse(source)
        if parsed.getwidth()[0] == 0:
            return None
        found = _widest_parsed(parsed)
    except (re.error, RecursionError, OverflowError):
        return None
    return found if found < _UNBOUNDED else None


class _Block(NamedTuple):
    """Matches that start in [start, until) lie in [start, end) (`end` is a space or the end
    of the text, and the byte before `start` is a space)."""

    start: int
    until: int
    end: int


def _blocks(data: bytes, reach: int) -> list[_Block]:
    """`data` cut after spaces into blocks of about BLOCK_BYTES, each reaching `reach` bytes
    past its end and on to the next space. Cutting only at spaces keeps \\b and \\B at a
    block's edges as they are in the whole text, so a set that finds a pattern in the whole
    text finds it in the block that holds the match."""
    size = len(data)
    starts = [0]
    while True:
        space = data.find(b" ", starts[-1] + BLOCK_BYTES)
        if space < 0 or space + 1 >= size:
            break
        starts.append(space + 1)
    blocks = []
    for start, until in zip(starts, [*starts[1:], size], strict=True):
        end = data.find(b" ", until + reach) if until < size else -1
        blocks.append(_Block(start, until, size if end < 0 else end))
    return blocks


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
        # Every group's entries: what a block must hold for the group to be searched there.
        self._needs: dict[int, frozenset[int]] = {}
        for group, source in sources:
            pieces = necessary_pieces(source)
            if pieces is None:
                self._whole.setdefault(entry(source), []).append(group)
                self._needs[group] = frozenset((entry(source),))
            else:
                self._needs[group] = frozenset(entry(piece) for piece in pieces)
                self._gapped.append((group, self._needs[group]))
        self._widths: dict[int, int | None] = {}  # see _width
        neutral_entries = [case_neutral(source) for source in entries]
        self._sets: list[tuple[re2.Set, list[int]]] = []
        for neutral in (True, False):
            chosen = [i for i, is_neutral in enumerate(neutral_entries) if is_neutral == neutral]
            for first in range(0, len(chosen), PATTERNS_PER_SET):
                chunk = chosen[first : first + PATTERNS_PER_SET]
                self._sets.append((_compiled_set([entries[i] for i in chunk], neutral, root), chunk))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def fits_in_a_block(self, group: int) -> bool:
        """Whether the group's pattern can be searched for in blocks (see `widest`)."""
        return self._width(group) is not None

    def _width(self, group: int) -> int | None:
        """The group's `widest`, or None past WIDEST_IN_BLOCKS: read when a long text first
        asks about the group, not at load (Python's parser is slow, and a long post's
        patterns are few of the set's)."""
        if group not in self._widths:
            width = widest(self.patterns[group].pattern)
            self._widths[group] = width if width is not None and width <= WIDEST_IN_BLOCKS else None
        return self._widths[group]

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

    def find(self, data: bytes, is_ascii: bool, most: int) -> dict[int, list[tuple[int, int]]]:
        """Each pattern's first `most` non-empty matches in `data` (folded text, UTF-8), as
        byte spans in order: what `finditer` over the whole text finds. On a long text where
        many patterns that fit in a block were found, those are searched for only in the
        blocks that hold their entries (see the module's docstring)."""
        groups = self.candidates(data)
        if not groups:
            return {}
        held = self._held(data, groups, is_ascii) if len(data) >= LONG_TEXT_BYTES else []
        matches = {}
        for group in groups:
            # Searched in blocks when the text was cut into them and the pattern fits in one.
            where = None
            if held and self._width(group) is not None:
                needed = self._needs[group]
                where = [block for block, entries in held if needed <= entries]
            spans = _spans(self.patterns[group], data, where, most)
            if spans:
                matches[group] = spans
        return matches

    def _held(self, data: bytes, groups: list[int], is_ascii: bool) -> list[tuple[_Block, set[int]]]:
        """Each block of a long text with the entries the sets find in it; none where searching
        the whole text costs less (few patterns that fit in a block were found) or where
        whitespace comes twice in a row, making \\s+ wider than `widest` counts it."""
        if len(groups) < BLOCKS_PAY_FROM:
            return []  # without reading a pattern
        widths = [width for group in groups if (width := self._width(group)) is not None]
        if len(widths) < BLOCKS_PAY_FROM or _WHITESPACE_PAIR.search(data):
            return []
        # Blocks reach as far past their end as the widest pattern searched in them is wide (a
        # gapped pattern's pieces lie within its match, so within that reach too). A non-ASCII
        # character is up to four bytes of UTF-8. What a set reports in a block is sound for
        # what lies within it, all that a block is asked about.
        reach = max(widths, default=0)
        blocks = _blocks(data, reach if is_ascii else 4 * reach)
        sets = self._sets
        held = []
        for block in blocks:
            piece = data[block.start : block.end]
            held.append((block, {entries[i] for regexes, entries in sets for i in regexes.Match(piece) or ()}))
        return held


def _spans(pattern: re2._Regexp, data: bytes, blocks: list[_Block] | None, most: int) -> list[tuple[int, int]]:
    """`pattern`'s non-empty matches (at most `most`) over the whole text, or those that start
    in `blocks`, searched block by block from where the last match ended. With the whole text
    as context, a search within a block finds the whole text's next match whenever that match
    starts in the block, as it then lies within it; one that starts past the block's own
    stretch is left to the next."""
    spans: list[tuple[int, int]] = []
    if blocks is None:
        # The whole text: a loop of its own, without the blocks' bookkeeping, which a block
        # spanning the text would pay on every post (callgrind counted it on dense posts: scratch).
        for found in pattern.finditer(data):
            start, end = found.start(), found.end()
            if end > start:
                spans.append((start, end))
                if len(spans) >= most:
                    break
        return spans
    after = 0
    for block in blocks:
        for found in pattern.finditer(data, max(after, block.start), block.end):
            start, end = found.start(), found.end()
            if start >= block.until:
                break
            after = end
            if end > start:
                spans.append((start, end))
                if len(spans) >= most:
                    return spans
    return spans


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
