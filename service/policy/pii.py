"""Detectors of personal data in folded post text; each returns spans in that text.

Every detector checks what it finds (a checksum, a library's validity data, a
parse) rather than trusting a digit pattern, because a false "phone number"
in a post about dosages would hold a harmless post.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.ca import sin as ca_sin
from stdnum.in_ import aadhaar
from stdnum.us import ssn as us_ssn

Span = tuple[int, int]

_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,24}\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
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
_STREET = re.compile(
    r"\b\d{1,6}[a-z]?,? (?:[a-z][a-z'.-]*,? ){1,4}(?:" + _STREET_TYPES + r")\b\.?"
    r"(?:,? (?:apt|apartment|suite|ste|unit|flat|#)\.? ?[a-z0-9-]+)?"
)
_STREET_NUMBER_AFTER = re.compile(
    r"\b[a-z]+(?:katu|tie|straße|strasse|str\.|gasse|weg|laan|straat|gade|vej|gatan|vägen|veien|"
    r"vei|allee|platz|ring|damm|ufer|steig) \d{1,5}[a-z]?\b"
)
_CONTINENTAL = re.compile(r"\b(?:rue|via|calle|avenida|rua|avenue|boulevard|chemin|viale|piazza|"
                          r"plaza|carrer) (?:[a-z'-]+ ){0,4}[a-z'-]+,? \d{1,5}\b")  # fmt: skip
_PO_BOX = re.compile(r"\bp\.? ?o\.? box \d{1,6}\b")
_DIGIT = re.compile(r"\d")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


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


def find_phones(text: str, region: str) -> list[Span]:
    if len(_DIGIT.findall(text)) < 7:
        return []
    spans = []
    try:
        for found in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            spans.append((found.start, found.end))
    except Exception:
        return spans
    return spans


def find_cards(text: str, region: str) -> list[Span]:
    if len(_DIGIT.findall(text)) < 13:
        return []
    spans = []
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            spans.append(m.span())
    return spans


def find_national_ids(text: str, region: str) -> list[Span]:
    if len(_DIGIT.findall(text)) < 6:
        return []
    spans = [m.span() for m in _SSN.finditer(text) if us_ssn.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _SIN.finditer(text) if ca_sin.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _AADHAAR.finditer(text) if aadhaar.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _NINO.finditer(text)]
    return spans


def find_ibans(text: str, region: str) -> list[Span]:
    if len(_DIGIT.findall(text)) < 6:
        return []
    spans = []
    for m in _IBAN.finditer(text):
        if stdnum_iban.is_valid(m.group().replace(" ", "").upper()):
            spans.append(m.span())
    return spans


def find_ip_addresses(text: str, region: str) -> list[Span]:
    spans = []
    if "." in text:
        for m in _IPV4.finditer(text):
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


def find_street_addresses(text: str, region: str) -> list[Span]:
    spans = [m.span() for m in _PO_BOX.finditer(text)]
    if not _DIGIT.search(text):
        return spans
    spans += [m.span() for m in _STREET.finditer(text)]
    spans += [m.span() for m in _STREET_NUMBER_AFTER.finditer(text)]
    spans += [m.span() for m in _CONTINENTAL.finditer(text)]
    return spans


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
