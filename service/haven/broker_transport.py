"""kombu's Redis transport, with one Redis client a channel where kombu builds one a command.

kombu makes a new `redis.Redis` for every command it sends outside its event loop: each
message a worker takes (recorded as unacknowledged), each acknowledgement and each task
published. A client is cheap to use but not to make (its response callbacks are built
anew: about 70 µs on our CI machine), and those made up about 8% of a worker's
interpreter time at 100 posts/s (bench/README.md, "The broker's clients"). A Redis client
is safe to share between threads, each command taking a connection from the pool, so the
channel keeps one for as long as its pool lives. Pipelines are still made per use.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

# Celery's `broker_transport` for redis:// broker URLs (rediss:// keeps kombu's own, whose
# name is what turns TLS on).
TRANSPORT = "haven.broker_transport:Transport"


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        pool = self.pool
        client = self._shared_client
        # A pool kombu has replaced (after a lost connection) gets a client of its own.
        if client is None or client.connection_pool is not pool:
            client = self._shared_client = super()._create_client()  # type: ignore[no-untyped-call]
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
