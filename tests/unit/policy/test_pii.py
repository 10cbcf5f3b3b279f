"""The personal-data detectors' shared look at a text's digits: the byte-counting shortcut for
ASCII text must find what the digit pattern finds, on any text."""

from __future__ import annotations

import re

import pytest
from haven.policy import pii
from hypothesis import example, given
from hypothesis import strategies as st

# ASCII digits and letters, spaces and punctuation, and digits of other scripts (Arabic-Indic,
# Devanagari, full-width), which `\d` matches and the ASCII shortcut must leave to the pattern.
TEXTS = st.text(alphabet=st.sampled_from("0123456789abcXYZ -.,:/()+#\n٣٤५६１２é"), max_size=80)


@given(TEXTS)
def test_digit_runs_are_the_digit_patterns_matches(text: str) -> None:
    expected = tuple(m.span() for m in re.finditer(r"\d+", text))
    assert pii._digit_runs.__wrapped__(text) == expected


@given(TEXTS)
def test_digit_count_counts_the_ascii_digits(text: str) -> None:
    assert pii._digit_count(text) == sum(c in "0123456789" for c in text)


def test_a_text_without_digits_has_no_runs_and_a_text_of_other_digits_keeps_them() -> None:
    assert pii._digit_runs.__wrapped__("no numbers here, only words.") == ()
    assert pii._digit_runs.__wrapped__("call ٣٤٥ now") == ((5, 8),)
    assert pii._digit_count("call ٣٤٥ or 12") == 2


@given(st.text(alphabet=st.sampled_from("ab1 ,"), max_size=30), st.data())
def test_an_address_ends_before_its_trailing_spaces_and_commas_as_if_all_before_it_were_stripped(
    text: str, data: st.DataObject
) -> None:
    end = data.draw(st.integers(0, len(text)))
    start = data.draw(st.integers(0, end))
    assert pii._end_before_separators(text, start, end) == len(text[:end].rstrip(" ,"))


# Digits in the shapes the detectors look for, set far apart among words, so that some stretches
# around them merge and some do not.
_PIECES = st.sampled_from(
    [
        "536-22-1234", "130 692 544", "2345 6789 0124", "ab 12 34 56 c", "gb82 west 1234 5698 7654 32",
        "4111 1111 1111 1111", "(415) 555-0132", "+44 7700 900123", "10.0.0.1", "192.168.1.254.", "7.",
        "call me on 0412 345 678", "call me on 123 456", "my card 5018 0000 0009", "i am 16", "2019", "3 ",
        "far " * 50,
        "a" * 30, "word " * 12, " ", ".", "-", "x",
    ]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=40))
def test_the_digit_patterns_find_near_the_digits_what_they_find_in_the_whole_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    for pattern in (pii._PHONE_SHAPE, pii._CARD, pii._SSN, pii._SIN, pii._AADHAAR, pii._NINO, pii._IBAN, pii._IPV4):
        assert [m.span() for m in pii._near_digits(pattern, text, 0)] == [m.span() for m in pattern.finditer(text)]


@given(st.lists(_PIECES, max_size=40))
# Each number alone in its stretch, holding as few digits as a detector keeps.
@example(["call me on 123 456"])
@example(["my card 5018 0000 0009"])
@example(["2345 6789 0124"])
@example(["ab 12 34 56 c"])
@example(["gb82 west 1234 5698 7654 32"])
def test_each_detector_finds_what_it_finds_when_every_stretch_is_searched(pieces: list[str]) -> None:
    # A detector skips the stretches holding fewer digits than any match it keeps, and the
    # IBAN detector texts without two digits right after two letters: that must change
    # nothing they report.
    text = "".join(pieces)
    found = {kind: detect(text, "US") for kind, detect in pii.DETECTORS.items()}
    with pytest.MonkeyPatch.context() as patch:
        near_digits = pii._near_digits
        patch.setattr(pii, "_near_digits", lambda pattern, text, digits: near_digits(pattern, text, 0))
        patch.setattr(pii, "_digits_after_two_letters", lambda text: True)
        assert found == {kind: detect(text, "US") for kind, detect in pii.DETECTORS.items()}


# Addresses of every form the street detector knows, cue words without an address after them,
# and words that look like a pattern's needed word but are not one whole ("boxes", "apt5").
_ADDRESS_PIECES = st.sampled_from(
    [
        "12 baker street", "221b Baker St.", "4 elm ave, apt 5", "po box 1234", "p.o. box 77",
        "psc 4574, box 8393 apo aa 81998", "usns saibara fpo ap 12428", "rue de la paix 12",
        "calle mayor 5", "ul. mila 53", "koskikatu 3", "hauptstr. 4", "apt5", "unit 7", "flat 2b",
        "she lives at ", "my address is ", "drop me off at ", "drops off at ", "send it to ",
        "meet me at ", "come over to ", "the clinic is at ", "boxes", "streets", "addressing",
        "12", "3 ", "i am 16", "2019", "far " * 30, "word " * 12, " ", ", ", ".", "x",
    ]
)  # fmt: skip


@given(st.lists(_ADDRESS_PIECES, max_size=30))
# Each pattern's own form alone, and a cue whose first word only the cues need ("drop").
@example(["po box 1234"])
@example(["psc 4574, box 8393 apo aa 81998"])
@example(["usns saibara fpo ap 12428"])
@example(["221b Baker St."])
@example(["calle mayor 5"])
@example(["koskikatu 3"])
@example(["i live on hauptstr. 4"])
@example(["ul. mila 53"])
@example(["drop me off at ", "12 baker street"])
@example(["far " * 30, "she lives at ", "12", "far " * 30])
def test_the_street_detector_finds_what_it_finds_when_every_pattern_searches_every_stretch(
    pieces: list[str],
) -> None:
    # A pattern is searched only in the stretches holding a word each of its matches holds
    # whole: that must change nothing the detector reports.
    text = "".join(pieces)
    found = pii.find_street_addresses(text, "US")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pii, "_may_match", lambda needs, held: True)
        patch.setattr(pii, "_number_after_street_suffix", lambda text, start, end: True)
        assert found == pii.find_street_addresses(text, "US")
