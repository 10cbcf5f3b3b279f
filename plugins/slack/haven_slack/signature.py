"""Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"), 5 minutes of skew."""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> bool:
    """True when the request is Slack's: the signature matches and the timestamp is fresh."""
    if not secret or not timestamp or not signature:
        return False
    # Seconds since 1970 fit in 11 digits for millennia; a longer header is not Slack's
    # (and 400 digits would overflow the float comparison below).
    if len(timestamp) > 12:
        return False
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - stamp) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
