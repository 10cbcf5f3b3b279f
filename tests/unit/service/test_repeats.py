"""A post sent again while its first copy is being decided is a duplicate, never queued and
judged a second time: the checks that tell a repeat from a lost post read in the order the
worker writes (the worker stores the decision, then lets go of the post)."""

from __future__ import annotations

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
