"""Where a post's pattern hits lie: RE2 searches the folded text's UTF-8 bytes, and the
spans it gives back must cover the same characters of the text, whatever lies before them."""

from __future__ import annotations

import re2
from haven.policy.scan import _character_spans
from hypothesis import given
from hypothesis import strategies as st

# Letters a pattern matches, and characters of two, three and four bytes around them.
TEXTS = st.text(alphabet=st.sampled_from("ab xé€😀\u0301"), max_size=60)
PATTERN = re2.compile("a+b?|é+")


@given(TEXTS)
def test_byte_spans_become_the_character_spans_of_the_same_text(text: str) -> None:
    data = text.encode("utf-8")
    spans = [m.span() for m in PATTERN.finditer(data)]
    characters = _character_spans(data, spans)
    assert [text[s:e] for s, e in characters] == [data[s:e].decode("utf-8") for s, e in spans]
    assert characters == [(len(data[:s].decode()), len(data[:e].decode())) for s, e in spans]
