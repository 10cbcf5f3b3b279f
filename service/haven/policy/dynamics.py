"""The conversation matchers: what a post's thread, and its author's replies, add to its decision.

One `ThreadContext` per judged post reads the thread once, lazily, from the
`ConversationStore`, answers every conversation matcher of the set from it, and
builds the post's own `Turn` to record. Matchers that count (`pile_on`, `thread`,
`author_replies`) count this post only when it matched their category itself, so a
supportive reply never completes a pile-on, and they fire on the post that
completes the pattern and on the later ones like it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from haven.domain import ConversationEvidence, Post
from haven.policy.compiler import (
    AuthorRepliesLeaf,
    ConversationLeaf,
    MatchedLeaf,
    ParentTest,
    PileOnLeaf,
    RepliesToLeaf,
    ThreadLeaf,
)
from haven.policy.conversations import (
    ConversationStore,
    Turn,
    any_category_in,
    verdict_at_least,
)


def _parent_passes(test: ParentTest, verdict: str | None, categories: tuple[str, ...]) -> bool:
    if test.verdict is not None and not verdict_at_least(verdict, test.verdict):
        return False
    return test.categories is None or any_category_in(categories, test.categories)


class ThreadContext:
    def __init__(self, store: ConversationStore, post: Post, now: datetime) -> None:
        self.store = store
        self.post = post
        self.now = now.timestamp()
        # The categories this post matched in the first pass (set by the engine before the second).
        self.categories: tuple[str, ...] = ()
        self._turns: list[Turn] | None = None
        self._by_post: dict[str, Turn] = {}
        self._parent: Turn | Literal[False] | None = False  # False: not looked up yet

    # --- reading ------------------------------------------------------------------

    def turns(self) -> list[Turn]:
        """The thread's earlier turns (this post's own, from an earlier revision, left out)."""
        if self._turns is None:
            post = self.post
            kept = self.store.thread(post.community, post.platform, post.thread_key)
            self._turns = [t for t in kept if t.post != post.external_id]
            self._by_post = {t.post: t for t in self._turns}
        return self._turns

    def parent(self) -> Turn | None:
        """The turn of the post this one replies to: one lookup, not the whole thread."""
        post = self.post
        if post.parent_id is None or post.parent_id == post.external_id:
            return None
        if self._parent is False:
            self._parent = self.store.turn(post.community, post.platform, post.thread_key, post.parent_id)
        return self._parent

    def _parent_author(self, turn: Turn) -> str | None:
        """Who a turn replied to; for a reply judged before its parent, read from the thread now."""
        if turn.parent_author is not None or turn.parent is None:
            return turn.parent_author
        parent = self._by_post.get(turn.parent)
        return parent.author if parent is not None else None

    def _ids(self, turns: list[Turn]) -> list[str]:
        return [t.decision_id(self.post.community) for t in turns]

    # --- the matchers -------------------------------------------------------------

    def holds(self, leaf: ConversationLeaf) -> ConversationEvidence | bool:
        """Evidence (or True, for `matched`) when the matcher holds; False when it does not."""
        if isinstance(leaf, MatchedLeaf):
            return any_category_in(self.categories, leaf.categories)
        if isinstance(leaf, PileOnLeaf):
            return self._pile_on(leaf) or False
        if isinstance(leaf, ThreadLeaf):
            return self._thread(leaf) or False
        if isinstance(leaf, RepliesToLeaf):
            return self._replies_to(leaf) or False
        return self._author_replies(leaf) or False

    def _pile_on(self, leaf: PileOnLeaf) -> ConversationEvidence | None:
        parent = self.parent()
        me = self.post.author.id
        if parent is None or parent.author == me or not any_category_in(self.categories, leaf.categories):
            return None
        member, since = parent.author, self.now - leaf.seconds
        counted = [
            t for t in self.turns()
            if t.at >= since and t.author != member and self._parent_author(t) == member
            and any_category_in(t.categories, leaf.categories)
        ]  # fmt: skip
        authors = {t.author for t in counted} | {me}
        if len(authors) < leaf.authors:
            return None
        return ConversationEvidence(
            dynamic="pile_on", thread_id=self.post.thread_key, decisions=self._ids(counted), member=member,
            authors=len(authors), posts=len(counted) + 1, matcher=leaf.label,
        )  # fmt: skip

    def _thread(self, leaf: ThreadLeaf) -> ConversationEvidence | None:
        if not any_category_in(self.categories, leaf.categories):
            return None
        since = self.now - leaf.seconds
        counted = [t for t in self.turns() if t.at >= since and any_category_in(t.categories, leaf.categories)]
        authors = {t.author for t in counted} | {self.post.author.id}
        if len(counted) + 1 < leaf.posts or len(authors) < leaf.authors:
            return None
        return ConversationEvidence(
            dynamic="thread", thread_id=self.post.thread_key, decisions=self._ids(counted),
            authors=len(authors), posts=len(counted) + 1, matcher=leaf.label,
        )  # fmt: skip

    def _replies_to(self, leaf: RepliesToLeaf) -> ConversationEvidence | None:
        parent = self.parent()
        if parent is None or parent.author == self.post.author.id:
            return None
        if not _parent_passes(leaf.parent, parent.verdict, parent.categories):
            return None
        return ConversationEvidence(
            dynamic="replies_to", thread_id=self.post.thread_key, decisions=self._ids([parent]),
            member=parent.author, authors=1, posts=1, matcher=leaf.label,
        )  # fmt: skip

    def _author_replies(self, leaf: AuthorRepliesLeaf) -> ConversationEvidence | None:
        parent = self.parent()
        me = self.post.author.id
        if parent is None or parent.author == me or not _parent_passes(leaf.parent, parent.verdict, parent.categories):
            return None
        if leaf.categories is not None and not any_category_in(self.categories, leaf.categories):
            return None
        post = self.post
        since = self.now - leaf.seconds
        counted = [
            t for t in self.store.replies_by(post.community, post.platform, me)
            if t.at >= since and t.post != post.external_id and t.parent_author not in (None, me)
            and _parent_passes(leaf.parent, t.parent_verdict, t.parent_categories)
            and (leaf.categories is None or any_category_in(t.categories, leaf.categories))
        ]  # fmt: skip
        parents = {(t.thread, t.parent) for t in counted} | {(post.thread_key, post.parent_id)}
        if len(parents) < leaf.at_least:
            return None
        return ConversationEvidence(
            dynamic="author_replies", thread_id=post.thread_key, decisions=self._ids(counted),
            member=parent.author, authors=1, posts=len(parents), matcher=leaf.label,
        )  # fmt: skip

    # --- recording ----------------------------------------------------------------

    def turn(self, verdict: str, categories: tuple[str, ...]) -> Turn:
        """This post's turn, to record once it is decided."""
        post = self.post
        own = Turn(
            post=post.external_id, revision=post.revision, platform=post.platform, thread=post.thread_key,
            author=post.author.id, at=self.now, verdict=verdict, categories=categories, parent=post.parent_id,
        )  # fmt: skip
        return own.replying_to(self.parent())
