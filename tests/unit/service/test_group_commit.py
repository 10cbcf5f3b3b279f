"""Ordinary posts from concurrent requests reach the queue as one task, and each
request still learns whether its own posts were queued."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from haven.domain import Author, Post
from haven.tasks import GroupCommit


def a_post(n: int) -> Post:
    return Post(platform="p", community="c", external_id=str(n), author=Author(id="a"))


def submit_concurrently(group: GroupCommit, count: int) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * count
    start = threading.Barrier(count)

    def one(i: int) -> None:
        start.wait()
        try:
            group.submit([a_post(i)], datetime.now(UTC))
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_posts_submitted_together_are_sent_as_one_task_with_each_receive_time() -> None:
    sent: list[tuple[list[Post], list[datetime]]] = []
    group = GroupCommit(lambda posts, times: sent.append((posts, times)), window=0.5)
    assert submit_concurrently(group, 5) == [None] * 5
    assert [len(posts) for posts, _ in sent] == [5]
    assert len(sent[0][1]) == 5
    assert sorted(p.external_id for p in sent[0][0]) == ["0", "1", "2", "3", "4"]


def test_a_full_group_is_sent_without_waiting_for_the_window() -> None:
    sent: list[int] = []
    group = GroupCommit(lambda posts, times: sent.append(len(posts)), window=60, limit=3)
    assert submit_concurrently(group, 3) == [None] * 3
    assert sent == [3]


def test_every_request_of_a_group_that_could_not_be_queued_gets_the_error() -> None:
    def broken(posts: list[Post], times: list[datetime]) -> None:
        raise ConnectionError("redis is away")

    outcomes = submit_concurrently(GroupCommit(broken, window=0.5), 4)
    assert all(isinstance(o, ConnectionError) for o in outcomes)


def test_a_lone_post_is_sent_after_the_window() -> None:
    sent: list[int] = []
    GroupCommit(lambda posts, times: sent.append(len(posts)), window=0.001).submit([a_post(1)], datetime.now(UTC))
    assert sent == [1]
