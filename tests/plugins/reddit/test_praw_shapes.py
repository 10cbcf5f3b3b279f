"""An extra check where PRAW's real recordings sit beside the checkout (../shared/fixtures/reddit/):
the project's own exchanges ask what PRAW asked and answer in the shapes Reddit answered.
Collected only when that folder is there (see conftest.py); nothing else depends on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.plugins.reddit.replay import load_recordings, read_cassette
from tests.plugins.reddit.shared import PRAW_RECORDINGS


def praw() -> list[Any]:
    return [exchange for path in sorted(PRAW_RECORDINGS.glob("*.json")) for exchange in read_cassette(path)]


def items(exchanges: list[Any]) -> Iterator[dict[str, Any]]:
    """The posts and comments of the listings answered (modmail and the moderator list answer in
    shapes of their own, with no items)."""
    for exchange in exchanges:
        if exchange.method == "GET" and exchange.body:
            answer = json.loads(exchange.body)
            if isinstance(answer, dict) and answer.get("kind") == "Listing":
                yield from answer["data"]["children"]


def test_requests_have_the_fields_praw_sent() -> None:
    theirs: dict[tuple[str, str, str], list[tuple[set[str], set[str]]]] = {}
    for r in praw():
        theirs.setdefault((r.host, r.method, r.path), []).append((set(r.query), set(r.form)))
    compared = 0
    for ours in load_recordings():
        for query, form in theirs.get((ours.host, ours.method, ours.path), []):
            compared += set(ours.form) == form and (ours.method == "GET" or set(ours.query) == query)
        assert not theirs.get((ours.host, ours.method, ours.path)) or compared, ours
        compared = 0


def test_items_use_only_fields_reddit_sent() -> None:
    known: dict[str, set[str]] = {"t1": set(), "t3": set()}
    for child in items(praw()):
        known[child["kind"]] |= set(child["data"])
    for child in items(load_recordings()):
        assert set(child["data"]) <= known[child["kind"]], set(child["data"]) - known[child["kind"]]
