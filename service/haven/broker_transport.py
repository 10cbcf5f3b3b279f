"""kombu's Redis transport, with one Redis client a channel where kombu builds one a command.

kombu makes a new `redis.Redis` for every command it sends outside its event loop: each
message a worker takes (recorded as unacknowledged), each acknowledgement and each task
published. A client is cheap to use but not to make (its response callbacks are built
anew: about 70 µs on our CI machine), and those made up about 8% of a worker's
interpreter time at 100 posts/s (bench/README.md, "The broker's clients, the pattern sets
and the crisis path"). A Redis client is safe to share between threads, each command
taking a connection from the pool, so the channel keeps one for as long as its pool
lives. Pipelines are still made per use.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from kombu.transport import redis as kombu_redis

# Celery's `broker_transport` for redis:// and rediss:// broker URLs.
TRANSPORT = "haven.broker_transport:Transport"
_SCHEMES = ("redis", "rediss")
# The TLS settings a rediss:// URL may carry in its query, as redis-py reads them for
# Haven's other Redis clients.
_TLS_QUERY = ("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile")


def celery_settings(url: str) -> dict[str, Any]:
    """The Celery settings that put a Redis broker URL on this transport.

    With a rediss:// URL the server's certificate is verified, as redis-py does for the
    API's and workers' other Redis clients, unless the URL says otherwise
    (`?ssl_cert_reqs=none`); `ssl_ca_certs`, `ssl_certfile` and `ssl_keyfile` in its query
    are used too. kombu's own handling of rediss:// turns verification off, with a
    warning, when nothing is configured: the broker carries the posts' text.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        return {}
    settings: dict[str, Any] = {"broker_transport": TRANSPORT}
    if parts.scheme == "rediss":
        query = {name: values[-1] for name, values in parse_qs(parts.query).items() if name in _TLS_QUERY}
        settings["broker_use_ssl"] = {"ssl_cert_reqs": "required", **query}
    return settings


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
