"""Every phrase key of an automaton found in a post's word view, hits kept by key.

Two implementations give the same hits in the same order: the compiled `PhraseMatcher`
(see haven.policy.compiled) and, where it is not built, pyahocorasick's automaton with a
loop in Python.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from haven.policy import compiled as compiled_code

Span = tuple[int, int]
# (key, key number, open-ended): a key is " words " for a whole-word phrase, " words" for
# one whose last word is open-ended (`*`), searched in normalise.word_view's form.
Key = tuple[str, int, bool]


class PhraseSearch:
    """One automaton's keys; `collect` adds a view's hits to a dict by key number."""

    def __init__(self, keys: Iterable[Key], *, compiled: bool | None = None) -> None:
        entries = list(keys)
        self.compiled = compiled_code.core is not None if compiled is None else compiled
        if self.compiled:
            if compiled_code.built is None:
                raise RuntimeError("haven.policy._scan_core is not built in this install")
            self._matcher = compiled_code.built.PhraseMatcher(entries)
            return
        automaton = ahocorasick.Automaton()
        for key, number, is_open in entries:
            automaton.add_word(key, (len(key), number, is_open))
        automaton.make_automaton()
        self._automaton = automaton

    def collect(self, view: str, found: dict[int, list[Span]]) -> None:
        """Adds each hit in `view` to `found`: key number -> (start, end) in the folded text
        (the view is padded by one, so a key's leading space sits where its phrase's first
        character is in the text), in start order."""
        if self.compiled:
            self._matcher.collect(view, found)
            return
        size = len(view)
        for end_index, (length, key, is_open) in self._automaton.iter(view):
            start = end_index - length + 1
            end = end_index
            if is_open:
                # An open-ended key's hit runs on to the end of its word.
                end = view.find(" ", end_index + 1)
                if end < 0:
                    end = size
            spans = found.get(key)
            if spans is None:
                found[key] = [(start, end - 1)]
            else:
                spans.append((start, end - 1))
