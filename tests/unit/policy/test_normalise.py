from __future__ import annotations

from haven.policy import normalise as normalise_module
from haven.policy.normalise import fold_phrase, normalise, word_view
from hypothesis import given
from hypothesis import strategies as st


def test_plain_ascii_is_lower_cased_with_identity_offsets() -> None:
    folded = normalise("I Want To END it")
    assert folded.text == "i want to end it"
    assert folded.original_span(10, 13) == (10, 13)


def test_zero_width_characters_disappear_and_offsets_cover_the_original_word() -> None:
    original = "I will k\u200bi\u200dll myself"
    folded = normalise(original)
    assert "kill myself" in folded.text
    start = folded.text.index("kill")
    o_start, o_end = folded.original_span(start, start + len("kill myself"))
    assert original[o_start:o_end] == "k\u200bi\u200dll myself"


def test_cyrillic_and_greek_look_alikes_read_as_latin() -> None:
    assert normalise("kill mys\u0435lf").text == "kill myself"
    assert normalise("\u03bfverdose").text == "overdose"


def test_fullwidth_and_accented_letters_fold() -> None:
    assert normalise("\uff2b\uff29\uff2c\uff2c").text == "kill"
    assert normalise("su\u00efcide").text == "suicide"


def test_curly_apostrophes_and_whitespace_runs_fold() -> None:
    folded = normalise("I\u2019m  not\n\nokay")
    assert folded.text == "i'm not okay"
    start = folded.text.index("okay")
    o_start, o_end = folded.original_span(start, start + 4)
    assert folded.original[o_start:o_end] == "okay"


def test_leetspeak_view_has_the_same_length() -> None:
    folded = normalise("k1ll mys3lf")
    assert folded.leet == "kill myself"
    assert len(folded.leet) == len(folded.text)


def test_phrases_fold_like_post_text() -> None:
    assert fold_phrase("End  My  Life") == "end my life"
    assert fold_phrase("k1ll", leet=True) == "kill"


@given(st.text())
def test_every_folded_span_maps_inside_the_original(text: str) -> None:
    folded = normalise(text)
    size = len(folded.text)
    for start in range(0, size, max(1, size // 7)):
        for end in (start + 1, size):
            if end > size or end <= start:
                continue
            o_start, o_end = folded.original_span(start, end)
            assert 0 <= o_start <= o_end <= len(text)


@given(st.text(alphabet=st.sampled_from("aB 9.'  \n\u200béﬁÅ\u0301д😀"), max_size=50), st.data())
def test_many_starts_map_back_as_each_one_alone_does(text: str, data: st.DataObject) -> None:
    folded = normalise(text)
    size = len(folded.text)
    starts = sorted(data.draw(st.lists(st.integers(0, max(0, size - 1)), max_size=12))) if size else []
    assert folded.original_starts(starts) == [folded.original_span(s, s + 1)[0] for s in starts]


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_is_translated_by_byte_tables_as_the_character_tables_translate_it(text: str) -> None:
    assert normalise_module._translate_ascii(text, normalise_module._ONE_TO_ONE_ASCII) == text.translate(
        normalise_module._ONE_TO_ONE
    )
    # The word view of ASCII text: every character that is not a word character made a space.
    assert word_view(text) == f" {normalise_module._NON_WORD.sub(' ', text)} "
