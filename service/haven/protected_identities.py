"""The engine's `IdentityLookup` over the store, for the API process and the workers.

Each community's protected names are read at most once a second per process,
so a registration or a withdrawal takes effect in every worker within a
second, without a restart. While a community's registrations stay the same,
the same `ProtectedNames` is kept, with the words it has already hashed.
"""

from __future__ import annotations

import threading
import time

from haven.policy.identities import ProtectedName, ProtectedNames
from haven.store.repository import Store

IDENTITIES_TTL_SECONDS = 1.0


class StoredIdentities:
    def __init__(self, store: Store, ttl: float = IDENTITIES_TTL_SECONDS) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        # community -> (read at, what was read, built from it)
        self._cache: dict[str, tuple[float, frozenset[ProtectedName], bytes, ProtectedNames | None]] = {}

    def protected(self, community: str) -> ProtectedNames | None:
        now = time.monotonic()
        cached = self._cache.get(community)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[3]
        found = self._store.protected_names(community)
        secret, names = found if found is not None else (b"", [])
        rows = frozenset(names)
        with self._lock:
            cached = self._cache.get(community)
            if cached is not None and cached[1] == rows and cached[2] == secret:
                built = cached[3]
            else:
                built = ProtectedNames(secret, rows) if rows else None
            self._cache[community] = (now, rows, secret, built)
        return built
