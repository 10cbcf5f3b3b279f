"""A post sent again while its first copy is being decided is a duplicate, never queued and
judged a second time: the checks that tell a repeat from a lost post read in the order the
worker writes (the worker stores the decision, then lets go of the post)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from haven.embedded import InProcessWorkQueue
from haven.services import Services
from litestar.testing import TestClient

from tests.unit.service.test_bad_input import a_post


def test_a_repeat_is_a_duplicate_at_whatever_moment_its_first_copy_is_decided(
    client: TestClient,  # type: ignore[type-arg]
    auth: dict[str, str],
) -> None:
    # Each repeat follows its first copy at once, while the embedded worker decides it: some
    # arrive before the decision, some during, some after. Before the reads were ordered,
    # 1 to 12 of 300 were answered "queued" here.
    answers = []
    for n in range(300):
        first = client.post("/v1/posts", json=a_post(f"repeat-{n}"), headers=auth)
        again = client.post("/v1/posts", json=a_post(f"repeat-{n}"), headers=auth)
        assert first.status_code == again.status_code == 202
        assert first.json()["status"] == "queued"
        answers.append(again.json()["status"])
    assert answers == ["duplicate"] * 300


def test_a_post_decided_while_its_repeat_is_claimed_is_a_duplicate(services: Services) -> None:
    """The window the loop above hits only by chance, made to happen: the worker lets go of
    the first copy (decided) after the claim's first look, while it reads what is decided."""
    queue = services.work
    assert isinstance(queue, InProcessWorkQueue)  # the embedded runner, not started: no worker
    now = datetime.now(UTC)
    assert queue.claim("group", ["first"], now) == [True]
    read = services.store.decided_ids

    def decided_meanwhile(ids: Sequence[str]) -> set[str]:
        queue.release(["first"])  # the worker: the decision stored, then the post let go
        return read(ids)

    services.store.decided_ids = decided_meanwhile  # type: ignore[method-assign]
    assert queue.claim("group", ["first", "second"], now) == [False, True]
