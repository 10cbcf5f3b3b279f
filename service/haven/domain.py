"""Haven's domain vocabulary: what goes over the wire between every part.

These Structs are the contract between adapters, the API, the workers and the
policy engine. They carry no behaviour beyond small derived views.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

PostKind = Literal["post", "comment", "message"]
Field = Literal["title", "body"]
Mode = Literal["enforce", "shadow"]
Severity = Literal["low", "medium", "high", "critical"]

SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

# A fixed namespace so that a post's decision id is the same on every node and
# every retry: the id is derived from the post's identity, never random.
_DECISION_NAMESPACE = uuid.UUID("6f1d7c1e-4a52-4d0e-9a8e-6b1c2f6d9a10")


class Verdict(enum.IntEnum):
    """What happens to a post, ordered from mildest to strongest."""

    ALLOW = 0
    NUDGE = 1
    REVIEW = 2
    HOLD = 3
    REMOVE = 4
    ESCALATE = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Verdict:
        return cls[name.upper()]


VERDICT_NAMES: tuple[str, ...] = tuple(v.label for v in Verdict)

ACTION_KINDS: tuple[str, ...] = (
    "flag_for_review",
    "hold",
    "remove",
    "escalate",
    "reply",
    "notify_author",
    "redact",
    "label",
    "lock",
    "silence",
)


class Author(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The author of a post, with the trust signals the platform gives."""

    id: str
    name: str | None = None
    created_at: datetime | None = None
    trust_level: int | None = None
    is_moderator: bool = False
    is_staff: bool = False
    karma: int | None = None


class TextRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A half-open range of characters in one field of a post."""

    field: Field
    start: int
    end: int


class Post(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One piece of user content, normalised from any platform."""

    platform: str
    community: str
    external_id: str
    revision: str = "1"
    kind: PostKind = "post"
    author: Author
    title: str = ""
    body: str = ""
    thread_id: str | None = None
    parent_id: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    locale: str | None = None
    # Ranges that hold other people's words (quote blocks). Matches that fall
    # wholly inside them are reported, but never judged as the author's own.
    quoted: list[TextRange] = msgspec.field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.community}/{self.platform}/{self.external_id}/{self.revision}"

    def decision_id(self) -> str:
        return decision_id_of(self.key)

    @property
    def thread_key(self) -> str:
        """The thread this post belongs to; a post with no thread opens its own."""
        return self.thread_id or self.external_id


def decision_id_of(post_key: str) -> str:
    """The decision id of a post's key (`Post.key`), the same on every node and every retry."""
    return str(uuid.uuid5(_DECISION_NAMESPACE, post_key))


class PostRef(msgspec.Struct, kw_only=True, frozen=True):
    platform: str
    community: str
    external_id: str
    revision: str
    kind: PostKind
    author_id: str
    thread_id: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, post: Post) -> PostRef:
        return cls(
            platform=post.platform,
            community=post.community,
            external_id=post.external_id,
            revision=post.revision,
            kind=post.kind,
            author_id=post.author.id,
            thread_id=post.thread_id,
            url=post.url,
        )


class Evidence(msgspec.Struct, kw_only=True, frozen=True):
    """A span of the original text that made a matcher fire."""

    field: Field
    start: int
    end: int
    text: str
    matcher: str


class ConversationEvidence(msgspec.Struct, kw_only=True, frozen=True):
    """What made a conversation matcher fire: earlier decisions of a thread, never their text.

    `dynamic` names the matcher (`pile_on`, `thread`, `replies_to`, `author_replies`);
    `decisions` are the ids of the earlier decisions that counted, oldest first.
    """

    dynamic: str
    thread_id: str | None
    decisions: list[str]
    member: str | None = None  # the member replied to (a pile-on's target, the author in crisis)
    authors: int = 0
    posts: int = 0
    matcher: str = ""

    @property
    def summary(self) -> str:
        """One line for a moderator's alert."""
        if self.dynamic == "pile_on":
            return f"{self.authors} members replied this way to member {self.member} in this thread"
        if self.dynamic == "thread":
            return f"{self.posts} posts by {self.authors} members of this thread are like this"
        if self.dynamic == "replies_to":
            return f"a reply to member {self.member}, whose post was flagged ({self.matcher})"
        return f"this member replied this way to {self.posts} flagged posts across threads ({self.matcher})"
class ModelScore(msgspec.Struct, kw_only=True, frozen=True):
    """A learned model's score that made a `classifier` matcher fire."""

    model: str
    version: str
    score: float
    threshold: float


class Match(msgspec.Struct, kw_only=True):
    policy: str
    rule: str
    category: str
    severity: Severity
    mode: Mode
    verdict: str
    evidence: list[Evidence]
    description: str = ""
    # Set for rules with conversation matchers: the thread's earlier decisions that made them fire.
    conversation: list[ConversationEvidence] = msgspec.field(default_factory=list)
    scores: list[ModelScore] = []
    # The policy layer that defined the rule: "base", "community:<c>" or "channel:<c>/<channel>".
    layer: str = "base"


class Action(msgspec.Struct, kw_only=True):
    """A neutral action; each plugin maps it onto its platform."""

    kind: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    target: Literal["post", "author", "moderators"] = "post"
    rules: list[str] = msgspec.field(default_factory=list)


class Timings(msgspec.Struct, kw_only=True):
    evaluation_ms: float | None = None
    received_at: datetime | None = None
    decided_at: datetime | None = None


class Decision(msgspec.Struct, kw_only=True):
    id: str
    post: PostRef
    policy_version: str
    verdict: str
    mode: Mode
    matches: list[Match]
    shadow_matches: list[Match] = msgspec.field(default_factory=list)
    quoted_matches: list[Match] = msgspec.field(default_factory=list)
    actions: list[Action] = msgspec.field(default_factory=list)
    timings: Timings = msgspec.field(default_factory=Timings)

    @property
    def categories(self) -> list[str]:
        return sorted({m.category for m in self.matches})

    @property
    def conversation_lines(self) -> list[str]:
        """What the thread shows, one line per conversation finding, for a moderator's alert."""
        return [f"{m.category}: {found.summary}" for m in self.matches for found in m.conversation]


class WebhookEvent(msgspec.Struct, kw_only=True):
    """The body of a Standard Webhooks delivery."""

    type: str
    timestamp: datetime
    data: dict[str, Any]
