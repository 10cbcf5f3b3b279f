"""What the HTTP API reads and writes, apart from the endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from haven.domain import Decision, Post
from haven.plugins.consumers import ConsumerHealth
from haven.store.records import EventType, HeldPost, Review, ReviewOutcome

MAX_BATCH = 100


class Accepted(msgspec.Struct, kw_only=True):
    """A post taken in: its decision's id and where to read it."""

    id: Annotated[
        str,
        Meta(
            description="The decision's id; the same post always gets the same id.",
            examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"],
        ),
    ]
    url: Annotated[
        str,
        Meta(
            description="Where to read the decision.",
            examples=["/v1/decisions/0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"],
        ),
    ]
    status: Annotated[
        Literal["queued", "duplicate"],
        Meta(description="queued: taken in now; duplicate: this post was taken in before.", examples=["queued"]),
    ]
    queue: Annotated[
        Literal["crisis", "default"],
        Meta(
            description="crisis for posts that may need an urgent answer (judged first), default otherwise.",
            examples=["crisis"],
        ),
    ]


class PostBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    posts: Annotated[
        Annotated[list[Post], Meta(min_length=1, max_length=MAX_BATCH)],
        Meta(description="1 to 100 posts, each judged on its own."),
    ]


class BatchAccepted(msgspec.Struct, kw_only=True):
    items: Annotated[list[Accepted], Meta(description="One answer per post, in the order sent.")]


class DecisionResource(msgspec.Struct, kw_only=True):
    """A decision, `pending` while its post waits in the queue, or `failed` while it is
    parked after every attempt at it failed (`reason` says why)."""

    id: Annotated[str, Meta(description="The decision's id.", examples=["0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"])]
    url: Annotated[
        str,
        Meta(description="This resource's path.", examples=["/v1/decisions/0b6f3c52-8d0e-5c6a-9f1e-3f8a2b7c9d10"]),
    ]
    status: Annotated[
        Literal["pending", "decided", "failed"],
        Meta(
            description="pending while the post waits to be judged, then decided; failed while it is parked "
            "after every attempt at it failed.",
            examples=["decided"],
        ),
    ]
    decision: Annotated[Decision | None, Meta(description="The decision, once decided.")] = None
    reviews: Annotated[
        list[Review],
        Meta(description="Moderators' reviews of it, oldest first."),
    ] = msgspec.field(default_factory=list)
    reason: Annotated[
        str | None, Meta(description="Why it is parked (failed only).", examples=["evaluation failed 5 times"])
    ] = None


class ParkedList(msgspec.Struct, kw_only=True):
    """Posts of the key's community parked after every attempt failed, oldest first."""

    items: Annotated[list[HeldPost], Meta(description="Parked posts, oldest first.")]


class DecisionList(msgspec.Struct, kw_only=True):
    items: Annotated[list[Decision], Meta(description="Decisions, newest first.")]
    next_cursor: Annotated[
        str | None,
        Meta(
            description="Pass as cursor for the next page; absent on the last page.",
            examples=["MjAyNi0wMS0wNVQwOTozMDowMVp8MGI2ZjNj"],
        ),
    ] = None


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: Annotated[
        ReviewOutcome,
        Meta(
            description="upheld: the decision was right; overturned: it was wrong, undone where the platform allows.",
            examples=["upheld"],
        ),
    ]
    moderator: Annotated[
        Annotated[str, Meta(min_length=1, max_length=200)],
        Meta(description="Who reviewed it (a name or id of your own).", examples=["mod-alex"]),
    ]
    note: Annotated[
        Annotated[str, Meta(max_length=5000)],
        Meta(description="Why, for the other moderators.", examples=["Clear risk; reached out by DM."]),
    ] = ""


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[
        Annotated[str, Meta(max_length=2000, pattern=r"^https?://[^\s]+$")],
        Meta(description="Where events are POSTed (http or https).", examples=["https://mods.example/haven-events"]),
    ]
    event_types: Annotated[
        Annotated[list[EventType], Meta(min_length=1)],
        Meta(description="The events to receive.", examples=[["escalation.created"]]),
    ]


class SubscriptionOut(msgspec.Struct, kw_only=True):
    id: Annotated[str, Meta(description="The subscription's id.", examples=["c1f0e2d3-4b5a-6978-8a9b-0c1d2e3f4a5b"])]
    url: Annotated[str, Meta(description="Where events are POSTed.", examples=["https://mods.example/haven-events"])]
    event_types: Annotated[list[str], Meta(description="The events it receives.", examples=[["escalation.created"]])]
    created_at: Annotated[datetime, Meta(description="When it was made.", examples=["2026-01-05T09:00:00Z"])]


class SubscriptionCreated(SubscriptionOut, kw_only=True):
    """The subscription and its signing secret, shown this once."""

    secret: Annotated[
        str,
        Meta(
            description="The Standard Webhooks signing secret; shown this once, keep it.",
            examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        ),
    ]


class ProtectedIdentityIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Names and handles a member must not be linked to: a real name, other accounts."""

    names: Annotated[
        Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(min_length=1, max_length=20)],
        Meta(description="Names and handles to protect (1 to 20)."),
    ]
    # The member's author id on the platform: their own posts may use these names.
    member: Annotated[
        Annotated[str, Meta(min_length=1, max_length=500)] | None,
        Meta(description="The member's author id on the platform: their own posts may use these names."),
    ] = None


class ProtectedIdentityOut(msgspec.Struct, kw_only=True):
    """A registration without its names, which Haven does not keep."""

    id: Annotated[str, Meta(description="The registration's id.")]
    member: Annotated[str | None, Meta(description="The member's author id, when given.")]
    names: Annotated[int, Meta(description="How many names it protects (never which).")]
    created_at: Annotated[datetime, Meta(description="When it was registered.")]
    # The enforced rules that hold a post naming one of them; empty means none would.
    matched_by: Annotated[
        list[str],
        Meta(description="The enforced rules that hold a post naming one of them; empty means none would."),
    ]


class Health(msgspec.Struct, kw_only=True):
    """The process is alive."""

    status: Annotated[Literal["ok"], Meta(description="Always ok.", examples=["ok"])]


class Readiness(msgspec.Struct, kw_only=True):
    """Redis and the database answer; what this instance runs."""

    status: Annotated[Literal["ready"], Meta(description="Always ready (otherwise the answer is a 503).")]
    mode: Annotated[
        Literal["embedded", "full"],
        Meta(description="embedded (one process, SQLite) or full (Redis, workers, PostgreSQL).", examples=["full"]),
    ]
    policy_version: Annotated[str, Meta(description="The policy set in force.", examples=["2026.01.05-3f2a"])]
    plugins_on: Annotated[list[str], Meta(description="Plugins running.", examples=[["slack"]])]
    plugins_off: Annotated[
        dict[str, str],
        Meta(
            description="Installed plugins that are off, and why (e.g. a missing setting).",
            examples=[{"reddit": "HAVEN_REDDIT_CLIENT_ID is not set"}],
        ),
    ]
    consumers: Annotated[
        dict[str, ConsumerHealth],
        Meta(
            description="Each long-running consumer of the plugins that are on (`plugin/name`), as the "
            "process running it reports. Informational: a consumer down does not make the API unready."
        ),
    ]
