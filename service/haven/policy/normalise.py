"""Text normalisation with offsets that map back to the author's original characters.

Matchers run over a folded form of the text (compatibility forms, case,
diacritics, look-alike letters and invisible characters all folded away) so
that "K\u200bill mysеlf" with a Cyrillic "е" still reads "kill myself". Every
span found in the folded text maps back to the exact characters the author
wrote, because moderators must see the evidence as it was posted.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

from haven.policy import compiled

# Look-alike letters from other scripts, folded to the Latin letter they imitate.
# The list follows the commonest entries of Unicode's confusables data
# (UTS #39) for Cyrillic, Greek and Armenian lower and upper case.
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g", "ɑ": "a",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s", "У": "y",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "Α": "a", "Β": "b", "Ε": "e",
    "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p",
    "Τ": "t", "Υ": "y", "Χ": "x", "օ": "o", "ս": "u", "ց": "g", "ո": "n", "ı": "i",
}  # fmt: skip

# One character to one character, applied with str.translate before anything
# else: typographic punctuation people type on phones every day, so that most
# posts take the all-ASCII fast path.
_ONE_TO_ONE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u2007": " ", "\u202f": " ",
        "\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " ", "\u2026": ".",
        **_CONFUSABLES,
    }
)  # fmt: skip


def _ascii_table(table: dict[int, str]) -> bytes:
    """`table`'s mapping of ASCII characters to ASCII characters, as a bytes table: on ASCII
    text, bytes.translate is a plain table lookup where str.translate looks each character up
    in a dict."""
    mapped = (table.get(c, chr(c)) for c in range(256))
    return bytes(ord(m) if len(m) == 1 and m.isascii() else c for c, m in enumerate(mapped))


def _translate_ascii(text: str, table: bytes) -> str:
    return text.encode("ascii").translate(table).decode("ascii")


_ONE_TO_ONE_ASCII = _ascii_table(_ONE_TO_ONE)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
     "|": "l", "+": "t"}
)  # fmt: skip

_SPECIAL = re.compile(r"[^\x00-\x7f]| {2,}")


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """The folded form of one non-ASCII character; empty for invisible ones."""
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me", "Cc"):
        return ""
    if category.startswith("Z"):
        return " "
    folded = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        for low in part.casefold():
            folded.append(_CONFUSABLES.get(low, low))
    text = "".join(folded)
    return text.translate(_ONE_TO_ONE) if text else ""


class _Segment(NamedTuple):
    # A tuple, not a frozen dataclass: a post with paragraph breaks makes one at each, and a
    # frozen dataclass's constructor sets each field through object.__setattr__.
    norm_start: int
    orig_start: int
    norm_length: int
    orig_length: int
    copied: bool


class NormalisedText:
    """The folded text of a post and the map from its offsets to the original's."""

    __slots__ = ("_leet", "_segment_starts", "_segments", "original", "text")

    def __init__(self, original: str, text: str, segments: list[_Segment] | None) -> None:
        self.original = original
        self.text = text
        self._segments = segments
        self._segment_starts = [s.norm_start for s in segments] if segments else []
        self._leet: str | None = None

    @property
    def leet(self) -> str:
        """The text with leetspeak digits and symbols read as letters (same length)."""
        if self._leet is None:
            self._leet = self.text.translate(_LEET)
        return self._leet

    @property
    def is_plain(self) -> bool:
        """Folded offsets are the original's (no character was folded to another length)."""
        return self._segments is None

    def _segment(self, index: int) -> _Segment:
        assert self._segments is not None
        position = bisect.bisect_right(self._segment_starts, index) - 1
        return self._segments[max(position, 0)]

    def original_starts(self, starts: list[int]) -> list[int]:
        """`original_span(start, ...)[0]` of each of `starts` (ascending), in one walk."""
        segments = self._segments
        if segments is None:
            return list(starts)
        if not segments:
            return [0] * len(starts)
        return original_starts(segments, self._segment_starts, starts)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Maps the folded span [start, end) onto the original text."""
        if self._segments is None:
            return start, end
        if not self._segments:
            return 0, 0
        first = self._segment(start)
        orig_start = first.orig_start + (start - first.norm_start) if first.copied else first.orig_start
        last = self._segment(max(end - 1, start))
        orig_end = last.orig_start + (end - last.norm_start) if last.copied else last.orig_start + last.orig_length
        return orig_start, max(orig_end, orig_start)


def _original_starts_python(segments: list[_Segment], segment_starts: list[int], starts: list[int]) -> list[int]:
    """Where each of `starts` (ascending folded offsets) begins in the original text, given
    the text's segments and where each segment starts."""
    # A segment at a time: the starts in a copied one move by the same amount, those in a
    # folded one all map to its start, and a segment holds many words.
    found: list[int] = []
    first = 0
    nexts = itertools.chain(segment_starts[1:], (None,))
    for segment, following in zip(segments, nexts, strict=True):
        upto = len(starts) if following is None else bisect.bisect_left(starts, following, first)
        if upto > first:
            if segment.copied:
                shift = segment.orig_start - segment.norm_start
                found += map(operator.add, starts[first:upto], itertools.repeat(shift))
            else:
                found += itertools.repeat(segment.orig_start, upto - first)
            first = upto
    return found


# The compiled twin where the extension is built (see haven.policy.compiled).
original_starts: Callable[[list[_Segment], list[int], list[int]], list[int]] = (
    compiled.core.original_starts if compiled.core is not None else _original_starts_python
)


def normalise(original: str) -> NormalisedText:
    translated = (
        _translate_ascii(original, _ONE_TO_ONE_ASCII) if original.isascii() else original.translate(_ONE_TO_ONE)
    )
    if translated.isascii():
        if "  " not in translated:
            # The common case: one to one with the original, so offsets need no map.
            return NormalisedText(original, translated.lower(), None)
        if compiled.core is not None:
            # The next commonest: paragraph breaks, two spaces once translated, in ASCII text.
            text, segments = compiled.core.collapse_spaces(translated, _Segment)
            return NormalisedText(original, text, segments)
    return NormalisedText(original, *_fold(translated))


def _fold(translated: str) -> tuple[str, list[_Segment]]:
    """`translated` folded (each character beyond ASCII by `_fold_char`, runs of spaces as
    one), with the segments that map its offsets back. On ASCII text, the twin of the
    compiled `collapse_spaces`."""
    pieces: list[str] = []
    segments: list[_Segment] = []
    norm_position = 0
    last = 0

    def copy(upto: int) -> None:
        nonlocal norm_position
        if upto > last:
            chunk = translated[last:upto].lower()
            segments.append(_Segment(norm_position, last, len(chunk), len(chunk), True))
            pieces.append(chunk)
            norm_position += len(chunk)

    for found in _SPECIAL.finditer(translated):
        copy(found.start())
        last = found.end()
        token = found.group()
        replacement = " " if token[0] == " " else _fold_char(token)
        if replacement == " " and pieces and pieces[-1].endswith(" "):
            replacement = ""
        if replacement:
            segments.append(_Segment(norm_position, found.start(), len(replacement), len(token), False))
            pieces.append(replacement)
            norm_position += len(replacement)
    copy(len(translated))
    return "".join(pieces), segments


_ASCII_PUNCTUATION_TO_SPACE = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)
_ASCII_PUNCTUATION_TO_SPACE_BYTES = _ascii_table(_ASCII_PUNCTUATION_TO_SPACE)
_NON_WORD = re.compile(r"\W")


def word_view(text: str) -> str:
    """The text with every non-word character a space, padded with one space each side.

    Same length plus two, so an offset i here is i - 1 in `text`. Phrases are
    searched in this view as " phrase ", which makes whole-word matching part
    of the automaton instead of a check on every candidate hit.
    """
    spaced = _translate_ascii(text, _ASCII_PUNCTUATION_TO_SPACE_BYTES) if text.isascii() else _NON_WORD.sub(" ", text)
    return f" {spaced} "


def fold_phrase(phrase: str, *, leet: bool = False) -> str:
    """A policy author's phrase, folded the same way as post text, as its words."""
    folded = normalise(phrase).text
    if leet:
        folded = folded.translate(_LEET)
    return " ".join(word_view(folded).split())


def is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
