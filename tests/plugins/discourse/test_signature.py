from __future__ import annotations

import pytest
from haven_discourse.signature import sign, verify

from tests.plugins.discourse.payloads import PUBLISHED_PING_SIGNATURE, SECRET

PING = b'{"ping":"OK"}'


def test_discourse_published_test_vector_verifies() -> None:
    assert sign(SECRET, PING) == PUBLISHED_PING_SIGNATURE
    assert verify(SECRET, PING, PUBLISHED_PING_SIGNATURE)


def test_upper_case_hex_and_surrounding_space_verify() -> None:
    assert verify(SECRET, PING, " sha256=" + PUBLISHED_PING_SIGNATURE.removeprefix("sha256=").upper())


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("another secret", PING, PUBLISHED_PING_SIGNATURE),
        (SECRET, b'{"ping":"OK" }', PUBLISHED_PING_SIGNATURE),
        (SECRET, PING, PUBLISHED_PING_SIGNATURE.removeprefix("sha256=")),
        (SECRET, PING, "sha1=" + PUBLISHED_PING_SIGNATURE.removeprefix("sha256=")),
        (SECRET, PING, PUBLISHED_PING_SIGNATURE[:-1]),
        (SECRET, PING, ""),
        (SECRET, PING, None),
        ("", PING, PUBLISHED_PING_SIGNATURE),
    ],
    ids=["wrong-secret", "changed-body", "no-prefix", "other-algorithm", "truncated", "empty", "missing", "no-secret"],
)
def test_anything_else_does_not_verify(secret: str, body: bytes, header: str | None) -> None:
    assert not verify(secret, body, header)
