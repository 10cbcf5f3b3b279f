"""Haven's domain vocabulary: what goes over the wire between every part.

These Structs are the contract between adapters, the API, the workers and the
policy engine. They carry no behaviour beyond small derived views.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

PostKind = Literal["post", "comment", "message"]
Field = Literal["title", "body"]
Mode = Literal["enforce", "shadow"]
Severity = Literal["low", "medium", "high", "critical"]

SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

# A fixed namespace so that a post's decision id is the same on every node and
# every retry: the id is derived from the post's identity, never random.
_DECISION_NAMESPACE = uuid.UUID("6f1d7c1e-4a52-4d0e-9a8e-6b1c2f6d9a10")
_DECISION_NAMESPACE_BYTES = _DECISION_NAMESPACE.bytes


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

    id: Annotated[str, Meta(description="The author's id on the platform.", examples=["t2_8xk1q"])]
    name: Annotated[
        str | None,
        Meta(description="The author's display name, if the platform gives it.", examples=["sam"]),
    ] = None
    created_at: Annotated[
        datetime | None,
        Meta(description="When the author's account was created.", examples=["2024-03-01T12:00:00Z"]),
    ] = None
    trust_level: Annotated[
        int | None,
        Meta(description="The platform's trust level (Discourse 0 to 4).", examples=[1]),
    ] = None
    is_moderator: Annotated[bool, Meta(description="The author moderates this community.", examples=[False])] = False
    is_staff: Annotated[bool, Meta(description="The author is the platform's staff.", examples=[False])] = False
    karma: Annotated[
        int | None,
        Meta(description="The author's karma, where the platform counts it (Reddit).", examples=[120]),
    ] = None


class TextRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A half-open range of characters in one field of a post."""

    field: Annotated[Field, Meta(description="The field the range is in.", examples=["body"])]
    start: Annotated[int, Meta(description="First character, counted from 0.", examples=[0])]
    end: Annotated[int, Meta(description="One past the last character.", examples=[42])]


class Post(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One piece of user content, normalised from any platform."""

    platform: Annotated[
        str,
        Meta(description="Where the post was written: an adapter's name, or any name of your own.", examples=["api"]),
    ]
    community: Annotated[
        str,
        Meta(
            description="The community it belongs to; must be the API key's community.",
            examples=["chronic-pain-support"],
        ),
    ]
    external_id: Annotated[
        str,
        Meta(
            description="The post's id on its platform; with community, platform and revision it identifies the post.",
            examples=["t3_1abcde"],
        ),
    ]
    revision: Annotated[
        str,
        Meta(description="Which edit of the post this is; a new revision is judged again.", examples=["1"]),
    ] = "1"
    kind: Annotated[
        PostKind,
        Meta(description="A top-level post, a comment in a thread, or a direct message.", examples=["post"]),
    ] = "post"
    author: Annotated[Author, Meta(description="Who wrote it.")]
    title: Annotated[str, Meta(description="The title, for a post that has one.", examples=["Rough week"])] = ""
    body: Annotated[
        str,
        Meta(
            description="The text as written (Markdown or plain).",
            examples=["I have been struggling with the new dose, any advice?"],
        ),
    ] = ""
    thread_id: Annotated[
        str | None,
        Meta(description="The thread or topic it belongs to.", examples=["t3_1abcde"]),
    ] = None
    parent_id: Annotated[str | None, Meta(description="The post or comment it answers.", examples=["t1_9xyz"])] = None
    url: Annotated[
        str | None,
        Meta(description="Where a moderator can read it.", examples=["https://forum.example/t/rough-week/42"]),
    ] = None
    created_at: Annotated[
        datetime | None,
        Meta(description="When it was written.", examples=["2026-01-05T09:30:00Z"]),
    ] = None
    locale: Annotated[
        str | None,
        Meta(description="The community's language, which picks crisis lines and reply templates.", examples=["en-GB"]),
    ] = None
    # Ranges that hold other people's words (quote blocks). Matches that fall
    # wholly inside them are reported, but never judged as the author's own.
    quoted: Annotated[
        list[TextRange],
        Meta(
            description="Ranges holding other people's words (quote blocks): matches inside them are "
            "reported, not judged as the author's.",
            examples=[[]],
        ),
    ] = msgspec.field(default_factory=list)

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
    """The decision id of a post's key (`Post.key`), the same on every node and every retry:
    `str(uuid.uuid5(namespace, post_key))`, made without the UUID object, whose
    constructor's checks and integer arithmetic were two thirds of the cost on the API's
    and the engine's per-post path."""
    digest = bytearray(hashlib.sha1(_DECISION_NAMESPACE_BYTES + post_key.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122's variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


class PostRef(msgspec.Struct, kw_only=True, frozen=True):
    platform: Annotated[str, Meta(description="Where the post was written.", examples=["api"])]
    community: Annotated[str, Meta(description="The community it belongs to.", examples=["chronic-pain-support"])]
    external_id: Annotated[str, Meta(description="The post's id on its platform.", examples=["t3_1abcde"])]
    revision: Annotated[str, Meta(description="Which edit of the post was judged.", examples=["1"])]
    kind: Annotated[PostKind, Meta(description="A post, comment or message.", examples=["post"])]
    author_id: Annotated[str, Meta(description="The author's id on the platform.", examples=["t2_8xk1q"])]
    thread_id: Annotated[str | None, Meta(description="The thread it belongs to.", examples=["t3_1abcde"])] = None
    url: Annotated[
        str | None,
        Meta(description="Where a moderator can read it.", examples=["https://forum.example/t/rough-week/42"]),
    ] = None

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

    field: Annotated[Field, Meta(description="The field the words are in.", examples=["body"])]
    start: Annotated[int, Meta(description="First character, counted from 0.", examples=[12])]
    end: Annotated[int, Meta(description="One past the last character.", examples=[24])]
    text: Annotated[str, Meta(description="The words themselves.", examples=["end my life"])]
    matcher: Annotated[str, Meta(description="Which matcher of the rule found them.", examples=["phrases"])]


class ConversationEvidence(msgspec.Struct, kw_only=True, frozen=True):
    """What made a conversation matcher fire: earlier decisions of a thread, never their text.

    `dynamic` names the matcher (`pile_on`, `thread`, `replies_to`, `author_replies`);
    `decisions` are the ids of the earlier decisions that counted, oldest first.
    """

    dynamic: Annotated[
        str,
        Meta(
            description="The conversation matcher: pile_on, thread, replies_to or author_replies.",
            examples=["pile_on"],
        ),
    ]
    thread_id: Annotated[str | None, Meta(description="The thread it read.", examples=["t3_1abcde"])]
    decisions: Annotated[
        list[str],
        Meta(
            description="The earlier decisions of the thread that counted, oldest first.",
            examples=[["5b0e1c7a-2f3d-4e6b-8a9c-0d1e2f3a4b5c"]],
        ),
    ]
    member: Annotated[
        str | None,
        Meta(description="The member replied to (a pile-on's target, the author in crisis).", examples=["t2_8xk1q"]),
    ] = None  # the member replied to (a pile-on's target, the author in crisis)
    authors: Annotated[int, Meta(description="How many different authors counted.", examples=[3])] = 0
    posts: Annotated[int, Meta(description="How many posts counted.", examples=[4])] = 0
    matcher: Annotated[str, Meta(description="Which matcher of the rule it was.", examples=["conversation"])] = ""

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

    model: Annotated[str, Meta(description="The learned model's name.", examples=["crisis-intent"])]
    version: Annotated[str, Meta(description="Its version.", examples=["2026.01.05"])]
    score: Annotated[float, Meta(description="The model's score for the post, 0 to 1.", examples=[0.93])]
    threshold: Annotated[float, Meta(description="The score at or above which the rule fires.", examples=[0.8])]


class Match(msgspec.Struct, kw_only=True):
    policy: Annotated[str, Meta(description="The policy the rule belongs to.", examples=["crisis-escalation"])]
    rule: Annotated[str, Meta(description="The rule that matched.", examples=["explicit-intent"])]
    category: Annotated[
        str,
        Meta(description="What kind of harm, dotted from general to specific.", examples=["crisis.self_harm"]),
    ]
    severity: Annotated[Severity, Meta(description="How serious the rule says a match is.", examples=["critical"])]
    mode: Annotated[
        Mode,
        Meta(description="enforce counts toward the verdict; shadow is only recorded.", examples=["enforce"]),
    ]
    verdict: Annotated[str, Meta(description="The verdict this rule asks for.", examples=["escalate"])]
    evidence: Annotated[list[Evidence], Meta(description="The spans of text that made it match.")]
    description: Annotated[
        str,
        Meta(description="The rule's own description.", examples=["Clear statement of intent to end one's life"]),
    ] = ""
    # Set for rules with conversation matchers: the thread's earlier decisions that made them fire.
    conversation: Annotated[
        list[ConversationEvidence],
        Meta(description="For a rule that reads the thread: the earlier decisions that made it match."),
    ] = msgspec.field(default_factory=list)
    scores: Annotated[
        list[ModelScore], Meta(description="For a rule that reads a learned model: the model's scores.")
    ] = []
    layer: Annotated[
        str,
        Meta(
            description='The policy layer that defined the rule: "base", "community:<c>" or "channel:<c>/<channel>".',
            examples=["base"],
        ),
    ] = "base"


class Action(msgspec.Struct, kw_only=True):
    """A neutral action; each plugin maps it onto its platform."""

    kind: Annotated[
        str,
        Meta(
            description="The neutral action: flag_for_review, hold, remove, escalate, reply, "
            "notify_author, redact, label, lock or silence.",
            examples=["escalate"],
        ),
    ]
    params: Annotated[
        dict[str, Any],
        Meta(
            description="The action's settings from the rule (template, crisis lines, label).",
            examples=[{"urgency": "immediate"}],
        ),
    ] = msgspec.field(default_factory=dict)
    target: Annotated[
        Literal["post", "author", "moderators"],
        Meta(description="What the action applies to.", examples=["post"]),
    ] = "post"
    rules: Annotated[
        list[str],
        Meta(description="The rules that asked for it.", examples=[["explicit-intent"]]),
    ] = msgspec.field(default_factory=list)


class Timings(msgspec.Struct, kw_only=True):
    evaluation_ms: Annotated[
        float | None,
        Meta(description="Milliseconds the engine spent on the post.", examples=[0.4]),
    ] = None
    received_at: Annotated[
        datetime | None,
        Meta(description="When the API accepted the post.", examples=["2026-01-05T09:30:01Z"]),
    ] = None
    decided_at: Annotated[
        datetime | None,
        Meta(description="When the decision was stored.", examples=["2026-01-05T09:30:01.2Z"]),
    ] = None


class Decision(msgspec.Struct, kw_only=True):
    id: Annotated[
        str,
        Meta(
            description="The decision's id, derived from the post's identity: the same post always has the same id.",
            examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"],
        ),
    ]
    post: Annotated[PostRef, Meta(description="The post judged.")]
    policy_version: Annotated[
        str,
        Meta(description="The policy set the post was judged by.", examples=["2026.01.05-3f2a"]),
    ]
    verdict: Annotated[
        str,
        Meta(
            description="The strongest enforced verdict: allow, nudge, review, hold, remove or escalate.",
            examples=["escalate"],
        ),
    ]
    mode: Annotated[Mode, Meta(description="enforce when the verdict is acted on.", examples=["enforce"])]
    matches: Annotated[list[Match], Meta(description="Enforced rules that matched.")]
    shadow_matches: Annotated[
        list[Match],
        Meta(description="Rules in shadow mode that matched: recorded, not acted on."),
    ] = msgspec.field(default_factory=list)
    quoted_matches: Annotated[
        list[Match],
        Meta(description="Matches inside quoted text: reported, never judged as the author's."),
    ] = msgspec.field(default_factory=list)
    actions: Annotated[
        list[Action],
        Meta(description="What the platform adapter is asked to do."),
    ] = msgspec.field(default_factory=list)
    timings: Annotated[Timings, Meta(description="How long each step took.")] = msgspec.field(default_factory=Timings)

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
