"""The engine's `CounterStore` on Redis: one sorted set per (community, author).

Members are `category<US>post-key`, scored by time, so recording the same post
twice changes nothing and a window is one ZRANGEBYSCORE.
"""

from __future__ import annotations

from datetime import datetime

import redis

from service.policy.counters import category_in

_SEPARATOR = "\x1f"


class RedisCounterStore:
    def __init__(self, client: redis.Redis, *, prefix: str = "haven:counter", keep_seconds: int = 90 * 86400) -> None:
        self._redis = client
        self._prefix = prefix
        self._keep = keep_seconds

    def _key(self, community: str, author_id: str) -> str:
        return f"{self._prefix}:{len(community)}:{community}:{author_id}"

    def count(
        self,
        community: str,
        author_id: str,
        category_prefix: str,
        since: datetime,
        *,
        exclude_member: str | None = None,
    ) -> int:
        entries: list[bytes] = self._redis.zrangebyscore(  # type: ignore[assignment]
            self._key(community, author_id), since.timestamp(), "+inf"
        )
        total = 0
        for raw in entries:
            category, _, member = raw.decode().partition(_SEPARATOR)
            if member != exclude_member and category_in(category, category_prefix):
                total += 1
        return total

    def record(self, community: str, author_id: str, category: str, member: str, at: datetime) -> None:
        key = self._key(community, author_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(key, {f"{category}{_SEPARATOR}{member}": at.timestamp()}, nx=True)
        pipe.zremrangebyscore(key, "-inf", at.timestamp() - self._keep)
        pipe.expire(key, self._keep)
        pipe.execute()
