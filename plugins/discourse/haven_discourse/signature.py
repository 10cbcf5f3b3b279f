"""X-Discourse-Event-Signature: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value Discourse sends for `body` (emit_web_hook_event.rb)."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True only for a well-formed header whose digest matches, compared in constant time."""
    if not header or not secret:
        return False
    value = header.strip()
    if not value.lower().startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).lower(), PREFIX + value[len(PREFIX) :].lower())
