"""uvicorn's HTTP/1.1 protocol with deadlines for a request's headers and for its body.

uvicorn closes idle keep-alive connections but waits for ever on a client that sends
its headers or body a byte at a time, so a few hundred slow connections hold the
server. Here a request must deliver its headers within `HAVEN_HEADER_TIMEOUT_SECONDS`
of its first byte (or of the connection opening) and its body within
`HAVEN_BODY_TIMEOUT_SECONDS` after the headers; otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("haven.http")


def timed_protocol(header_seconds: float, body_seconds: float) -> type[H11Protocol]:
    class TimedH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._phase: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._watch()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._arm(None, None)
            super().connection_lost(exc)

        def _watch(self) -> None:
            """Arm the deadline of the phase the request is in: headers, body, or none."""
            state = self.conn.their_state
            if state is h11.IDLE:
                if self._phase != "headers":
                    self._arm("headers", header_seconds)
            elif state is h11.SEND_BODY:
                if self._phase != "body":
                    self._arm("body", body_seconds)
            else:
                self._arm(None, None)

        def _arm(self, phase: str | None, seconds: float | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._too_slow) if seconds is not None else None

        def _too_slow(self) -> None:
            if not self.transport.is_closing():
                log.info("http.slow_client_closed", extra={"phase": self._phase})
                self.transport.close()

    return TimedH11Protocol
