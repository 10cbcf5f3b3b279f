"""The two Celery queues: crisis-prone work never waits behind the ordinary backlog."""

from __future__ import annotations

CRISIS_QUEUE = "crisis"
DEFAULT_QUEUE = "default"
# In the order a worker should prefer them.
QUEUES: tuple[str, ...] = (CRISIS_QUEUE, DEFAULT_QUEUE)
