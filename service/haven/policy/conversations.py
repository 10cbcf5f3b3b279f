"""What Haven decided about a thread's posts lately: the conversation matchers' only input.

A `Turn` is one post's decision reduced to what a conversation is made of: who
wrote it, whom it replied to, which categories it matched, the verdict, when.
It never holds the post's text. The engine reads the turns of a post's thread
(and, for `author_replies`, the author's replies in other threads) through
`ConversationStore`, and records the post's own turn once it is judged, as it
records counters through `CounterStore`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

import msgspec

from haven.domain import Verdict, decision_id_of
from haven.policy.counters import category_in

# How long turns are kept unless the operator says otherwise (HAVEN_CONVERSATION_WINDOW_SECONDS).
DEFAULT_KEEP_SECONDS = 7 * 86400
# Bounds that keep a huge thread or a prolific author from growing without limit.
MAX_TURNS_PER_THREAD = 500
MAX_REPLIES_PER_AUTHOR = 200


class Turn(msgspec.Struct, frozen=True, kw_only=True, array_like=True, gc=False):
    """One post's decision in its thread. Ids, categories and a verdict: no text."""

    post: str  # the post's external id
    revision: str
    platform: str
    thread: str
    author: str
    at: float  # when it was judged, seconds since the epoch
    verdict: str
    categories: tuple[str, ...] = ()
    parent: str | None = None  # the external id it replies to
    # The parent's author, verdict and categories as they were when this post was judged,
    # so an author's replies can be read without reading every thread they were in.
    parent_author: str | None = None
    parent_verdict: str | None = None
    parent_categories: tuple[str, ...] = ()

    def decision_id(self, community: str) -> str:
        return decision_id_of(f"{community}/{self.platform}/{self.post}/{self.revision}")

    def replying_to(self, parent: Turn | None) -> Turn:
        """This turn with its parent's author, verdict and categories filled in."""
        if parent is None:
            return self
        return msgspec.structs.replace(
            self, parent_author=parent.author, parent_verdict=parent.verdict, parent_categories=parent.categories
        )


TURN_ENCODER = msgspec.msgpack.Encoder()
TURN_DECODER = msgspec.msgpack.Decoder(Turn)


class ConversationStore(Protocol):
    def turn(self, community: str, platform: str, thread: str, post: str) -> Turn | None:
        """One post's kept turn (its latest revision): a reply's parent, read on every reply."""
        ...

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        """The thread's kept turns, one per post (its latest revision), in the order judged.

        Read only for a post that a thread-reading matcher (`pile_on`, `thread`) judges."""
        ...

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        """The author's kept replies to posts that matched a rule (`is_indexed_reply`), in any thread."""
        ...

    def record(self, community: str, turn: Turn) -> None:
        """Keep a post's turn, replacing an earlier revision's; recording it again changes nothing."""
        ...


def is_indexed_reply(turn: Turn) -> bool:
    """Whether a turn goes into its author's replies: a reply to a post that matched a rule.

    Only those can count for `author_replies` (its `to` asks for a category or a verdict), and
    most replies answer posts that matched nothing, so the index stays small and cheap to write.
    """
    return turn.parent is not None and bool(turn.parent_categories)


def any_category_in(categories: Iterable[str], prefixes: tuple[str, ...]) -> bool:
    return any(category_in(category, prefix) for category in categories for prefix in prefixes)


def verdict_at_least(verdict: str | None, floor: Verdict) -> bool:
    return verdict is not None and Verdict.parse(verdict) >= floor


def latest_per_post(turns: Iterable[Turn]) -> list[Turn]:
    """One turn per post, its latest, in the order the posts were first judged."""
    found: dict[str, Turn] = {}
    for turn in turns:
        earlier = found.get(turn.post)
        if earlier is None or turn.at >= earlier.at:
            found[turn.post] = turn
    return sorted(found.values(), key=lambda t: t.at)


_Table = OrderedDict[tuple[str, str, str], dict[str, Turn]]


class InMemoryConversationStore:
    """The conversation store of embedded runs, `haven policy test` and `haven backtest`.

    Bounded: at most `max_threads` threads and as many authors (the least recently
    written go first), `MAX_TURNS_PER_THREAD` turns a thread, `MAX_REPLIES_PER_AUTHOR`
    replies an author, and nothing older than `keep_seconds` before the newest turn
    written (the store reads no clock).
    """

    def __init__(self, *, keep_seconds: int = DEFAULT_KEEP_SECONDS, max_threads: int = 10_000) -> None:
        self._keep = keep_seconds
        self._max = max_threads
        self._threads: _Table = OrderedDict()
        self._authors: _Table = OrderedDict()
        self._lock = threading.Lock()

    def turn(self, community: str, platform: str, thread: str, post: str) -> Turn | None:
        with self._lock:
            return self._threads.get((community, platform, thread), {}).get(post)

    def thread(self, community: str, platform: str, thread: str) -> list[Turn]:
        with self._lock:
            return list(self._threads.get((community, platform, thread), {}).values())

    def replies_by(self, community: str, platform: str, author: str) -> list[Turn]:
        with self._lock:
            return list(self._authors.get((community, platform, author), {}).values())

    def record(self, community: str, turn: Turn) -> None:
        with self._lock:
            self._keep_turn(self._threads, (community, turn.platform, turn.thread), turn, MAX_TURNS_PER_THREAD)
            if is_indexed_reply(turn):
                self._keep_turn(self._authors, (community, turn.platform, turn.author), turn, MAX_REPLIES_PER_AUTHOR)

    def _keep_turn(self, table: _Table, key: tuple[str, str, str], turn: Turn, most: int) -> None:
        turns = table.setdefault(key, {})
        table.move_to_end(key)
        earlier = turns.get(turn.post)
        if earlier is not None and earlier.at > turn.at:
            return
        turns[turn.post] = turn
        # Turns are kept in the order they were judged, so the oldest come first.
        cutoff = turn.at - self._keep
        while turns and (len(turns) > most or next(iter(turns.values())).at < cutoff):
            del turns[next(iter(turns))]
        while len(table) > self._max:
            table.popitem(last=False)
