"""Detectors of personal data in folded post text; each returns spans in that text.

Every detector checks what it finds (a checksum, a library's validity data, a
parse) rather than trusting a digit pattern, because a false "phone number"
in a post about dosages would hold a harmless post.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
import string
from collections.abc import Callable
from urllib.parse import urlsplit

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.ca import sin as ca_sin
from stdnum.in_ import aadhaar
from stdnum.us import ssn as us_ssn

from haven.policy import compiled

Span = tuple[int, int]

_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,24}\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){11,18}\d(?![\w-])")
_SSN = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_SIN = re.compile(r"(?<![\d-])\d{3}([- ])\d{3}\1\d{3}(?![\d-])")
_AADHAAR = re.compile(r"(?<!\d)\d{4} \d{4} \d{4}(?!\d)")
_NINO = re.compile(r"\b[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z] ?\d{2} ?\d{2} ?\d{2} ?[a-d]\b")
_IBAN = re.compile(r"\b[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9a-f:])(?:[0-9a-f]{1,4}:){2,7}:?(?:[0-9a-f]{1,4})?(?![0-9a-f:])")
_STREET_TYPES = (
    "street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|close|crescent|"
    "cres|place|pl|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|square|sq|trail|trl|row|"
    "grove|gardens|mews|walk|hill|loop|plaza|alley|path|pike|crossing|ridge|view|park"
)
# A number followed by one of these counts something; it is not a house number.
_UNITS = (
    r"(?:days?|nights?|hours?|hrs?|minutes?|mins?|seconds?|secs?|times?|weeks?|months?|years?|yrs?|km|kms|"
    r"miles?|mg|mgs|ml|mcg|g|kg|lbs?|pounds?|million|billion|thousand|hundred|people|percent|kids|children|"
    r"pills?|tablets?|doses?|drinks?|beers?|sessions?|steps?|stars?|out|of|or|and|to|in|a|am|pm|x)\b"
)
# Words that never stand inside a street name.
_STOP = (
    r"(?:in|a|an|the|of|was|is|to|for|that|and|or|but|my|your|this|it|i|im|with|by|from|as|be|we|you|he|she|"
    r"they|were|are|had|have)\b"
)
_STREET = re.compile(
    r"\b\d{1,6}[a-z]?,? (?!" + _UNITS + r")(?:(?!" + _STOP + r")[a-z][a-z'-]*,? ){1,3}(?:" + _STREET_TYPES + r")\b\.?"
    r"(?:,? (?:apt|apartment|suite|ste|unit|flat|#)\.? ?[a-z0-9-]+)?"
)
# Street words written as a suffix of the street's name ("Koskikatu 3", "Hauptstraße 4"), the
# house number after.
_STREET_SUFFIXES = (
    "katu", "tie", "straße", "strasse", "str.", "gasse", "weg", "laan", "straat", "gade", "vej", "gatan",
    "vägen", "veien", "vei", "allee", "platz", "ring", "damm", "ufer", "steig",
)  # fmt: skip
_STREET_SUFFIX = "(?:" + "|".join(map(re.escape, _STREET_SUFFIXES)) + ")"
_STREET_NUMBER_AFTER = re.compile(r"\b[a-z]{3,}" + _STREET_SUFFIX + r" \d{1,5}[a-z]?\b")
# "Rue de la Paix 12", "Calle Mayor 5", "ul. Miła 53". Not "via": in English it means "by way of".
# The words that begin one (the pattern wants a full stop after "ul").
_CONTINENTAL_WORDS = "rue|calle|avenida|rua|avenue|boulevard|chemin|viale|piazza|plaza|carrer|ul|ulica|utca"
_CONTINENTAL = re.compile(
    r"\b(?:" + _CONTINENTAL_WORDS.replace("|ul|", r"|ul\.|") + ") "
    r"(?:(?!" + _STOP + r")[a-z'-]+ ){0,3}[a-z'-]+,? \d{1,5}\b"
)
# Some word every address detector below needs near the number; a cheap first look. Either
# a whole word, or a street suffix after three or more letters ("koskikatu"): looked for as
# the suffix with three letters before it, the same texts, without trying every length of
# the letters before it at every letter.
_ADDRESS_WORDS = frozenset(
    (
        _STREET_TYPES + "|" + _CONTINENTAL_WORDS + "|box|apt|apartment|suite|ste|unit|flat|address|addresses|addr|"
        "live|lives|living|located|moved|send|sent|mail|mailed|ship|shipped|deliver|delivered|return|post|office|station|restaurant|"
        "shop|store|clinic|house|home|place|building|meeting|enter|corner|meet|staying|arrived|come|psc|cmr|"
        "usns|uss|usnv|uscgc|apo|fpo|dpo"
    ).split("|")
)
# A whole word: what \b...\b around a word of letters finds (the character before the search's
# start counts, as for \b).
_WHOLE_WORD = re.compile(r"(?<!\w)\w+")
_ADDRESS_SUFFIX = re.compile(r"(?<=[a-z]{3})" + _STREET_SUFFIX + r"\b")


def _words_in_python(text: str, start: int, end: int, words: frozenset[str], longest: int) -> set[str]:
    """The whole words of text[start:end] that are in `words` (none longer than `longest`):
    the twin of the compiled `words_in`."""
    return set(words.intersection(_WHOLE_WORD.findall(text, start, end)))


# Compiled where the extension is built (see haven.policy.compiled): a stretch's words looked
# up in a set, with no string made for a word too long to be in it. One alternation of a
# hundred words tried at every character cost a dense post more than the address patterns.
words_in: Callable[[str, int, int, frozenset[str], int], set[str]] = (
    compiled.core.words_in if compiled.core is not None else _words_in_python
)


_PO_BOX = re.compile(r"\bp\.? ?o\.? box \d{1,6}\b")
# US military and diplomatic mail: "PSC 4574, Box 8393 APO AA 81998", "USNS Saibara FPO AP 12428".
_MILITARY = re.compile(
    r"\b(?:(?:psc|unit|cmr) \d{1,5},? box \d{1,5}|(?:usns|uss|usnv|uscgc) [a-z]+) (?:apo|fpo|dpo) (?:aa|ae|ap) \d{5}\b"
)
# Words that introduce where someone lives or can be found. After one of them,
# a number next to a word ("Dunajska 56", "3421 Fagradalsbraut 71") is an address.
_ADDRESS_CUE = re.compile(
    r"\b(?:address(?:es)?(?: is)?|addr|lives? (?:at|on)|living (?:at|on)|located (?:at|on)|moved to|"
    r"(?:send|sent|mail|mailed|ship|shipped|deliver|delivered|return|post)(?: it| this| them| that| the \w+)? to|"
    r"(?:office|station|restaurant|shop|store|clinic|house|home|place|apartment|flat|building|meeting) is (?:at|on|in)|"
    r"enter on|drops? (?:you |me )?off at|"
    r"corner of|meet (?:me|us) at|staying at|arrived at|house (?:is )?(?:at|on)|come (?:over )?to)\b[:\s]*"
)
# The first word of every cue above, whole.
_CUE_WORDS = frozenset(
    (  # noqa: SIM905 -- a word list reads better as prose
        "address addresses addr live lives living located moved send sent mail mailed ship shipped deliver "
        "delivered return post office station restaurant shop store clinic house home place apartment flat "
        "building meeting enter drop drops corner meet staying arrived come"
    ).split()
)
_NEAR_NUMBER = re.compile(
    r"(?:it is |it's (?:in |at )?|is )?(?:\d{1,6}[a-z]?,? ){0,2}(?:(?!"
    + _STOP
    + r")[^\W\d_][\w'-]*(?:\.(?=\S))?,? ){1,4}"
    r"\d{1,5}[a-z]?\b"
    r"|(?:it is |it's (?:in |at )?)?\d{1,6}[a-z]?,? (?!" + _UNITS + r")(?:[^\W\d_][\w'-]*,? ){1,4}"
)
_UNIT = re.compile(r"\b(?:apt|apartment|suite|ste|unit|flat)\.? ?#?\d{1,5}[a-z]?\b")
_PHONE_CUE = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|text|txt|ring|sms|whatsapp|signal|number|no\.|"
    r"reach (?:me|us|her|him)|contact (?:me|us)|messages to|answering at|fax|registered)\b"
)
_PHONE_SHAPE = re.compile(r"(?<![\w.+-])\+?\(?\d[\d ().-]{4,18}\d(?:x\d{1,5})?(?![\w-])")
# Shapes that are phone numbers whatever the digits: "(415) 555-0132", "415.555.0132", "+44 7700 900123".
_PHONE_STRONG = re.compile(
    r"^(?:\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}([.-])\d{3}\1\d{4}|\+\d[\d ().-]{7,17}\d)(?:x\d{1,5})?$"
)
# Toll-free numbers belong to organisations (helplines, clinics), never to a member.
_TOLL_FREE = re.compile(r"\(?(?:\+?1[ .-]?)?\(?8(?:00|88|77|66|55|44|33)\)?[ .-]?\d{3}[ .-]?\d{4}")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_OTHER_NUMBER = re.compile(
    r"\b(?:licen[cs]e|passport|account|order|policy|case|routing|tracking|member|id|serial|reference)"
    r"(?: number| no\.?| #)?(?: is)?:? ?$"
)
_DIGIT = re.compile(r"\d")
_ASCII_LOWER = frozenset(string.ascii_lowercase)
_DIGIT_RUN = re.compile(r"\d+")
_ASCII_DIGIT_RUN = re.compile(rb"[0-9]+")
_WITHOUT_DIGITS = str.maketrans("", "", "0123456789")
_ASCII_DIGITS = b"0123456789"
_WINDOW = 80


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _digit_count(text: str) -> int:
    """ASCII digits only (what the detectors' checksums read)."""
    if text.isascii():
        # Deleting bytes is a plain C loop; a str's translate looks each character up.
        data = text.encode("ascii")
        return len(data) - len(data.translate(None, _ASCII_DIGITS))
    return len(text) - len(text.translate(_WITHOUT_DIGITS))


def _digit_runs_python(text: str) -> tuple[tuple[int, int], ...]:
    """Where each run of digits (`\\d+`) starts and ends: the twin of the compiled `digit_runs`."""
    # Three real posts in four have no digit at all; on ASCII text, counting them first says
    # so in half the time the pattern takes to find none (bench/README.md).
    if text.isascii():
        if _text_digit_count(text) == 0:
            return ()
        # An ASCII digit is [0-9], which a bytes pattern checks faster than \d, a Unicode
        # category, on a str (instruction counts in bench/README.md).
        return tuple(m.span() for m in _ASCII_DIGIT_RUN.finditer(text.encode("ascii")))
    return tuple(m.span() for m in _DIGIT_RUN.finditer(text))


# What every digit-based detector of a post asks about its text, found once: kept for the
# last few texts (a post's detectors run one after the other on the same text). Compiled
# where the extension is built (see haven.policy.compiled): the pattern tries a match at
# every character, which cost a dense post more than any detector's own search.
_digit_runs = functools.lru_cache(maxsize=8)(
    compiled.core.digit_runs if compiled.core is not None else _digit_runs_python
)


@functools.lru_cache(maxsize=8)
def _text_digit_count(text: str) -> int:
    return _digit_count(text)


@functools.lru_cache(maxsize=16)
def _windows(text: str, reach: int = _WINDOW) -> list[tuple[int, int, int]]:
    """Stretches of text around its numbers, with how many digits each holds: every address
    detector needs a number, and most posts have few, so searching only near them keeps long
    posts cheap."""
    windows: list[tuple[int, int, int]] = []
    for run_start, run_end in _digit_runs(text):
        start, end = max(0, run_start - reach), min(len(text), run_end + reach)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end, windows[-1][2] + run_end - run_start)
        else:
            windows.append((start, end, run_end - run_start))
    return windows


# For the patterns searched with `_near_digits` (phone shapes, cards, national ids, IBANs, IPv4
# addresses), every match holds a digit and is at most 44 characters long. Searched only within
# this reach of the text's digits, a pattern finds exactly what it finds in the whole text: a
# match lies within its length of its digits, and no attempt that could match sees the end of
# its stretch, the stretch going twice that length past the last digit.
_NUMBER_REACH = 2 * 44 + 2


def _near_digits(pattern: re.Pattern[str], text: str, digits: int) -> list[re.Match[str]]:
    """`pattern.finditer(text)`, for a pattern as above, at a cost that follows the numbers;
    only the matches a detector keeps are asked for: those that hold at least `digits` digits,
    which lie in a stretch holding as many (most stretches hold an age or a year)."""
    windows = _windows(text, _NUMBER_REACH)
    return [m for start, end, held in windows if held >= digits for m in pattern.finditer(text, start, end)]


def find_emails(text: str, region: str) -> list[Span]:
    if "@" not in text:
        return []
    return [m.span() for m in _EMAIL.finditer(text)]


def find_urls(text: str, region: str) -> list[Span]:
    if "http" not in text and "www." not in text:
        return []
    spans = []
    for m in _URL.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in ".,;:!?":
            end -= 1
        spans.append((start, end))
    return spans


def url_host(url: str) -> str:
    if url.startswith("www."):
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _cue_before(cue: re.Pattern[str], text: str, start: int, reach: int) -> bool:
    return cue.search(text, max(0, start - reach), start) is not None


def _valid_for_region(candidate: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def find_phones(text: str, region: str) -> list[Span]:
    """Phone-shaped numbers that are valid for the region (libphonenumber's data), that have an
    unmistakable phone shape, or that a phone word introduces ("call me on", "my number")."""
    if _text_digit_count(text) < 6:
        return []
    spans: list[Span] = []
    for m in _near_digits(_PHONE_SHAPE, text, 6):  # kept with 6 to 15 digits
        shape = m.group().strip()
        if not 6 <= _digit_count(shape) <= 15 or _DATE.match(shape):
            continue
        if (
            _PHONE_STRONG.match(shape)
            or (_digit_count(shape) >= 7 and _valid_for_region(shape, region))
            or (
                _cue_before(_PHONE_CUE, text, m.start(), 40)
                and not _OTHER_NUMBER.search(text, max(0, m.start() - 30), m.start())
            )
        ):
            spans.append(m.span())
    return [span for span in spans if not _is_ipv4(text[span[0] : span[1]]) and not _TOLL_FREE.match(text, span[0])]


def _is_ipv4(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate.strip())
    except ValueError:
        return False
    return True


def find_cards(text: str, region: str) -> list[Span]:
    """13–19 digits passing Luhn; 12 (some Maestro cards) only when the word card comes just before."""
    if _text_digit_count(text) < 12:
        return []
    spans = []
    for m in _near_digits(_CARD, text, 12):  # kept with 12 to 19
        digits = _digits(m.group())
        if not luhn.is_valid(digits) if digits.isdigit() else True:
            continue
        if 13 <= len(digits) <= 19 or (len(digits) == 12 and "card" in text[max(0, m.start() - 40) : m.start()]):
            spans.append(m.span())
    return spans


def find_national_ids(text: str, region: str) -> list[Span]:
    if _text_digit_count(text) < 6:
        return []
    # Each pattern's matches hold exactly 9, 9, 12 and 6 digits.
    spans = [m.span() for m in _near_digits(_SSN, text, 9) if us_ssn.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _near_digits(_SIN, text, 9) if ca_sin.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _near_digits(_AADHAAR, text, 12) if aadhaar.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _near_digits(_NINO, text, 6)]
    return spans


def _digits_after_two_letters(text: str) -> bool:
    """Whether two digits follow two letters a-z at once anywhere, as an IBAN's check digits
    follow its country ("gb82"): most texts with numbers have none, and need no search."""
    return any(
        end - start >= 2 and start >= 2 and _ASCII_LOWER.issuperset(text[start - 2 : start])
        for start, end in _digit_runs(text)
    )


def find_ibans(text: str, region: str) -> list[Span]:
    if _text_digit_count(text) < 6:
        return []
    if not _digits_after_two_letters(text):
        return []
    spans = []
    for m in _near_digits(_IBAN, text, 2):  # two check digits; the rest may be letters
        if stdnum_iban.is_valid(m.group().replace(" ", "").upper()):
            spans.append(m.span())
    return spans


def find_ip_addresses(text: str, region: str) -> list[Span]:
    spans = []
    if "." in text:
        for m in _near_digits(_IPV4, text, 4):
            try:
                ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            spans.append(m.span())
    if "::" in text or text.count(":") >= 3:
        for m in _IPV6.finditer(text):
            try:
                ipaddress.IPv6Address(m.group())
            except ValueError:
                continue
            spans.append(m.span())
    return spans


# Each address pattern with the words one of its matches always holds whole (its street type,
# box or cue word), so that a stretch without any is not searched. Not so the unit pattern
# ("apt5" is one word) nor a street suffix, which is no word of its own (see
# _number_after_street_suffix).
_ADDRESS_PATTERNS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (_PO_BOX, frozenset(("box",))),
    (_MILITARY, frozenset(("apo", "fpo", "dpo"))),
    (_STREET, frozenset(_STREET_TYPES.split("|"))),
    (_CONTINENTAL, frozenset(_CONTINENTAL_WORDS.split("|"))),
)
# The words a stretch is read for: any address word, and every word a pattern needs.
_LOOKED_FOR = _ADDRESS_WORDS.union(_CUE_WORDS, *(needs for _, needs in _ADDRESS_PATTERNS))
_LONGEST_LOOKED_FOR = max(map(len, _LOOKED_FOR))


def _may_match(needs: frozenset[str], held: set[str]) -> bool:
    """Whether a pattern that needs one of `needs` may match a stretch holding the words `held`."""
    return not needs.isdisjoint(held)


def _number_after_street_suffix(text: str, start: int, end: int) -> bool:
    """Whether a number in text[start:end] comes right after a street suffix and a space
    ("koskikatu 3"), as in every match of _STREET_NUMBER_AFTER: a number's run of digits is
    looked at, not every letter of the stretch, and only the stretch's own runs (a long post
    has as many stretches as numbers)."""
    runs = _digit_runs(text)
    for index in range(bisect.bisect_right(runs, (start, len(text))), len(runs)):
        at = runs[index][0]
        if at >= end:
            return False
        if text[at - 1] == " " and text.endswith(_STREET_SUFFIXES, 0, at - 1):
            return True
    return False


def find_street_addresses(text: str, region: str) -> list[Span]:
    """Street types (US/UK/AU), continental street words, PO and military boxes, unit numbers next
    to a house number, and any word-and-number after a cue such as "lives at" or "address:"."""
    found: set[Span] = set()
    for start, end, _ in _windows(text):
        held = words_in(text, start, end, _LOOKED_FOR, _LONGEST_LOOKED_FOR)
        if _ADDRESS_WORDS.isdisjoint(held) and not _ADDRESS_SUFFIX.search(text, start + 3, end):
            continue  # a number with no street, box, unit or address word near it ("I'm 16")
        for pattern, needs in _ADDRESS_PATTERNS:
            if _may_match(needs, held):
                found.update(m.span() for m in pattern.finditer(text, start, end))
        if _number_after_street_suffix(text, start, end):
            found.update(m.span() for m in _STREET_NUMBER_AFTER.finditer(text, start, end))
        for m in _UNIT.finditer(text, start, end):
            if _DIGIT.search(text, max(0, m.start() - 40), m.start()):
                found.add(m.span())
        if not _may_match(_CUE_WORDS, held):
            continue
        for cue in _ADDRESS_CUE.finditer(text, start, end):
            near = _NEAR_NUMBER.match(text, cue.end())
            if near and near.end() > near.start():
                found.add(near.span())
    return sorted((start, _end_before_separators(text, start, end)) for start, end in found)


def _end_before_separators(text: str, start: int, end: int) -> int:
    """`len(text[:end].rstrip(" ,"))`, reading back from `end` only as far as it must: a
    long post may hold many addresses."""
    kept = text[start:end].rstrip(" ,")
    return start + len(kept) if kept else len(text[:start].rstrip(" ,"))


DETECTORS: dict[str, Callable[[str, str], list[Span]]] = {
    "email": find_emails,
    "phone": find_phones,
    "street_address": find_street_addresses,
    "payment_card": find_cards,
    "national_id": find_national_ids,
    "iban": find_ibans,
    "ip_address": find_ip_addresses,
    "url": find_urls,
}
