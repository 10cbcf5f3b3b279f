"""The long-running consumer: the platform's event stream (one JSON object a line), read for
as long as Haven keeps it running.

Haven runs `run` in a thread of its own, in one process at a time, and starts it again with
back-off whenever it returns or raises: so it connects, reads until `stop` is set, and leaves
reconnecting after a dropped connection to Haven.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import httpx
from haven.domain import Post

log = logging.getLogger("haven.plugins.example")

# The platform sends a ping line every 15 s; a connection silent for longer than this is dead.
READ_TIMEOUT_SECONDS = 45.0


class EventStream:
    def __init__(self, url: str, on_post: Callable[[dict[str, object]], Post | None]) -> None:
        self.url = url
        self.on_post = on_post

    def run(self, stop: threading.Event) -> None:
        timeout = httpx.Timeout(10.0, read=READ_TIMEOUT_SECONDS)
        with httpx.stream("GET", self.url, timeout=timeout) as response:
            response.raise_for_status()
            log.info("example.stream.connected")
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if not line.strip():
                    continue
                event = json.loads(line)
                if isinstance(event, dict):
                    self.on_post(event)
        # The platform closed the stream (a deploy, a time limit): Haven starts `run` again.
        log.info("example.stream.closed")
