from array import array
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

_S = TypeVar("_S")

class PhraseMatcher:
    states: int
    def __init__(self, keys: Iterable[tuple[str, int, bool]]) -> None: ...
    def collect(self, view: str, found: dict[int, list[tuple[int, int]]]) -> None: ...

def split_words(text: str, view: str) -> tuple[list[int], list[int]]: ...
def fill_name_words(
    text: str,
    original: str,
    starts: list[int],
    ends: list[int],
    candidates: list[int],
    original_starts: list[int],
    not_names: frozenset[str],
    known: list[tuple[int, int, int, bool] | None],
    low: int,
    high: int,
) -> None: ...
def sentences(text: str, longest: int, sentence: Callable[[int, int, int, tuple[str, ...]], _S]) -> list[_S]: ...
def by_group(
    found: dict[int, list[tuple[int, int]]],
    key_groups: list[tuple[int, ...]],
    groups: dict[int, list[list[tuple[int, int]]]],
) -> None: ...
def has_leet_in_a_word(text: str) -> bool: ...
def digit_runs(text: str) -> tuple[tuple[int, int], ...]: ...
def words_in(text: str, start: int, end: int, words: frozenset[str], longest: int) -> set[str]: ...
def assess(
    counts: dict[str, int], index: dict[str, int], table: array[float], bias: tuple[float, ...]
) -> tuple[tuple[float, ...], list[str], list[int], tuple[float, ...]]: ...
def merged_spans(by_key: list[list[tuple[int, int]]]) -> list[tuple[int, int]]: ...
def negating_hit(
    start: int, end: int, present: tuple[tuple[Any, list[tuple[int, int]]], ...], starts: list[int], text: str
) -> tuple[int, int] | None: ...
def unnegated(
    spans: list[tuple[int, int]],
    present: tuple[tuple[Any, list[tuple[int, int]]], ...],
    starts: list[int],
    text: str,
    known: dict[tuple[int, tuple[int, int]], bool],
    key: int,
) -> list[tuple[int, int]]: ...
def collapse_spaces(text: str, segment: Callable[[int, int, int, int, bool], _S]) -> tuple[str, list[_S]]: ...
def capitalised(text: str, starts: list[int]) -> list[int]: ...
def hit_words(starts: list[int], hits: list[tuple[int, int]], side: int) -> list[int]: ...
def original_starts(segments: list[Any], segment_starts: list[int], starts: list[int]) -> list[int]: ...
def near_pairs(
    firsts: list[tuple[int, int]],
    first_starts: list[int],
    first_ends: list[int],
    seconds: list[tuple[int, int]],
    second_starts: list[int],
    second_ends: list[int] | None,
    within: int,
    reach: int,
) -> list[tuple[tuple[int, int], tuple[int, int], bool]]: ...
