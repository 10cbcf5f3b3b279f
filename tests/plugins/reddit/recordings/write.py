"""Writes the project's own Reddit exchanges (this folder's *.json) from the documented API shapes.

Nothing here is copied from another recording: every request and answer is built from the
Reddit section of the contract sheet (auth, ingest listings, item fields, moderation calls,
rate-limit headers) with made-up support-community content, in the betamax cassette format
the contract sheet describes (`interactions[].request{method,uri,body,headers}`,
`interactions[].response{status{code},headers,body{string}}`, secrets as placeholders).
The output is deterministic; `test_recordings_are_what_write_py_writes` keeps the committed
files equal to it. Run `.venv/bin/python -m tests.plugins.reddit.recordings.write` after a change.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
AUTH = "https://www.reddit.com"
API = "https://oauth.reddit.com"
SUB = "<TEST_SUBREDDIT>"
SUB_ID = "t5_3h4v3n"
BOT = "<USERNAME>"
RECORDED_AT = "2026-01-05T10:00:00"
FIRST_EPOCH = 1_767_600_000.0  # 2026-01-05, the items' made-up creation times count up from here

OPENERS = [
    "Flare day again and the heat pad is my best friend.",
    "Three weeks on the new physio plan.",
    "Does anyone else get worse when the weather turns?",
    "Small win: walked to the end of the street today.",
    "My GP finally referred me to the pain clinic.",
    "Pacing is so hard when you feel good for one afternoon.",
    "Six months sober from the painkillers as of Sunday.",
    "The anniversary of losing my dad is next week.",
    "Sleep has been rubbish but I'm hanging in.",
    "Thank you all for the replies on my last post.",
]
MIDDLES = [
    "I tried the gentle stretching someone here suggested.",
    "Work has been understanding, which helps more than I expected.",
    "The brain fog makes emails take forever.",
    "My partner came with me to the appointment this time.",
    "I keep a symptom diary now, it shows patterns I missed.",
    "Some days the fatigue is worse than the pain itself.",
    "I am learning to say no to plans without the guilt.",
    "The waiting list is long but at least I'm on it.",
]
CLOSERS = [
    "How do you all manage the bad mornings?",
    "Sending gentle hugs to anyone having a rough week.",
    "Any tips welcome.",
    "Just wanted to share somewhere people understand.",
    "Hope everyone gets some rest tonight.",
    "",
]
TITLES = [
    "Weekly check-in thread",
    "Pain clinic appointment tomorrow, nervous",
    "What helps you sleep during a flare?",
    "Small victories thread",
    "Explaining invisible illness to family",
    "Grief comes in waves",
    "Heat pads, TENS units, what actually works?",
    "One year since my diagnosis",
]
PEOPLE = ["quiet_fern", "tired_otter", "spoonie_sam", "lakeside_jo", "mossy_stone", "kind_heron", "paced_pat"]


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def text(rng: random.Random) -> str:
    return " ".join(part for part in (rng.choice(OPENERS), rng.choice(MIDDLES), rng.choice(CLOSERS)) if part)


def html(markdown: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>\n" for line in markdown.split("\n\n"))
    return f'<!-- SC_OFF --><div class="md">{paragraphs}</div><!-- SC_ON -->'


def link(serial: int, rng: random.Random) -> dict[str, Any]:
    """A t3 with the fields the contract sheet lists."""
    item_id = base36(36**5 * 10 + serial * 7)
    author = rng.choice(PEOPLE)
    title = rng.choice(TITLES)
    is_self = serial % 5 != 0
    slug = title.lower().replace(",", "").replace("?", "").replace(" ", "_")[:40]
    return {
        "kind": "t3",
        "data": {
            "name": f"t3_{item_id}",
            "id": item_id,
            "author": author,
            "author_fullname": f"t2_{base36(1000 + PEOPLE.index(author))}",
            "title": title,
            "selftext": text(rng) if is_self else "",
            "url": f"https://www.reddit.com/r/{SUB}/comments/{item_id}/{slug}/"
            if is_self
            else f"https://example.org/articles/{serial}",
            "is_self": is_self,
            "subreddit": SUB,
            "subreddit_id": SUB_ID,
            "subreddit_name_prefixed": f"r/{SUB}",
            "created_utc": FIRST_EPOCH + serial * 600,
            "permalink": f"/r/{SUB}/comments/{item_id}/{slug}/",
            "locked": False,
            "over_18": False,
            "distinguished": None,
            "edited": False,
            "num_reports": None,
            "mod_reports": [],
            "user_reports": [],
            "banned_by": None,
            "approved_by": None,
            "removal_reason": None,
            "removed_by_category": None,
            "link_flair_text": None,
            "num_comments": rng.randint(0, 40),
            "score": rng.randint(1, 80),
        },
    }


def comment(serial: int, rng: random.Random, links: list[dict[str, Any]], *, gone: str | None = None) -> dict[str, Any]:
    """A t1 with the fields the contract sheet lists; `gone` makes it deleted or removed."""
    item_id = base36(36**5 * 20 + serial * 11)
    thread = links[serial % len(links)]["data"]
    author = "[deleted]" if gone == "deleted" else rng.choice(PEOPLE)
    body = text(rng)
    if serial % 9 == 4:  # members quote each other; the engine must not judge them for it
        body = f"> {rng.choice(OPENERS)}\n\nSame here. {rng.choice(MIDDLES)}"
    if gone:
        body = f"[{gone}]"
    parent = thread["name"] if serial % 3 else f"t1_{base36(36**5 * 20 + max(serial - 1, 0) * 11)}"
    return {
        "kind": "t1",
        "data": {
            "name": f"t1_{item_id}",
            "id": item_id,
            "author": author,
            "author_fullname": None if gone == "deleted" else f"t2_{base36(1000 + PEOPLE.index(author))}",
            "body": body,
            "body_html": html(body),
            "link_id": thread["name"],
            "parent_id": parent,
            "permalink": f"{thread['permalink']}{item_id}/",
            "link_permalink": f"https://www.reddit.com{thread['permalink']}",
            "link_title": thread["title"],
            "subreddit": SUB,
            "subreddit_id": SUB_ID,
            "subreddit_name_prefixed": f"r/{SUB}",
            "subreddit_type": "public",
            "created_utc": FIRST_EPOCH + 200_000 + serial * 90,
            "edited": False,
            "is_submitter": author == thread["author"],
            "distinguished": None,
            "stickied": False,
            "replies": "",
            "score": rng.randint(1, 30),
        },
    }


def moderator_view(child: dict[str, Any], *, reports: int, filtered: bool) -> dict[str, Any]:
    """An item as a moderator's token sees it in the modqueue: the moderator-only flags present."""
    data = dict(child["data"])
    data.update(
        removed=False,
        approved=False,
        spam=False,
        ignore_reports=False,
        banned_at_utc=data["created_utc"] + 5 if filtered else None,
        approved_at_utc=None,
        banned_by="AutoModerator" if filtered else None,
        num_reports=reports,
        mod_reports=[["Check for medical advice", "kind_heron"]] if reports > 1 else [],
        user_reports=[["It's rude, vulgar or offensive", reports]] if reports else [],
    )
    if filtered and child["kind"] == "t3":
        data["removed_by_category"] = "automod_filtered"
    return {"kind": child["kind"], "data": data}


def listing(children: list[dict[str, Any]]) -> dict[str, Any]:
    """A Listing envelope around `children` (the replay server serves its pages with it too)."""
    return {
        "kind": "Listing",
        "data": {
            "after": children[-1]["data"]["name"] if children else None,
            "before": None,
            "dist": len(children),
            "modhash": "",
            "geo_filter": "",
            "children": children,
        },
    }


def limits(used: int, reset: int) -> dict[str, list[str]]:
    """Rate-limit headers as Reddit sends them since 2023: 1000 requests per ten-minute window."""
    return {
        "x-ratelimit-remaining": [f"{1000 - used}.0"],
        "x-ratelimit-reset": [str(reset)],
        "x-ratelimit-used": [str(used)],
    }


def exchange(
    method: str,
    uri: str,
    form: dict[str, str] | None,
    status: int,
    body: Any,
    headers: dict[str, list[str]] | None = None,
    *,
    auth: str = "bearer <ACCESS_TOKEN>",
) -> dict[str, Any]:
    request_headers = {"Authorization": [auth], "User-Agent": ["<USER_AGENT>"]}
    if form is not None:
        request_headers["Content-Type"] = ["application/x-www-form-urlencoded"]
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": {"encoding": "utf-8", "string": urlencode(form, safe="<>") if form is not None else ""},
            "headers": request_headers,
        },
        "response": {
            "status": {"code": status, "message": {200: "OK", 201: "Created"}[status]},
            "headers": {"Content-Type": ["application/json; charset=UTF-8"], **(headers or {})},
            "body": {"encoding": "utf-8", "string": json.dumps(body)},
            "url": uri,
        },
        "recorded_at": RECORDED_AT,
    }


def token(grant: dict[str, str], scope: str = "*") -> dict[str, Any]:
    answer = {"access_token": "<ACCESS_TOKEN>", "token_type": "bearer", "expires_in": 3600, "scope": scope}
    return exchange("POST", f"{AUTH}/api/v1/access_token", grant, 200, answer, auth="Basic <CLIENT_ID:CLIENT_SECRET>")


PASSWORD_GRANT = {"grant_type": "password", "username": BOT, "password": "<PASSWORD>"}
REFRESH_GRANT = {"grant_type": "refresh_token", "refresh_token": "<REFRESH_TOKEN>"}
MOD_SCOPE = "identity modconfig modmail modposts read report submit"


def cassettes() -> dict[str, dict[str, Any]]:
    rng = random.Random(16)
    links = [link(serial, rng) for serial in range(100)]
    # 195 comments: the first page's 100, then 95 newer ones among which a few were deleted or
    # removed (tests publish the oldest first and count on those being there to judge).
    gone = {101: "deleted", 120: "removed", 150: "removed", 170: "deleted", 188: "deleted"}
    comments = [comment(serial, rng, links, gone=gone.get(serial)) for serial in range(195)]
    newest_first = list(reversed(comments))
    first_page, later = newest_first[95:], newest_first[:95]
    links_newest_first = list(reversed(links))
    queued = [
        moderator_view(child, reports=n % 3, filtered=n % 4 == 0)
        for n, child in enumerate([*links_newest_first[:6], *newest_first[100:106]])
    ]
    queued.sort(key=lambda child: -child["data"]["created_utc"])
    listing_query = "limit=100&raw_json=1"
    reply_id = base36(36**5 * 30 + 1)
    reply_thing = comment(0, random.Random(1), links)["data"] | {
        "name": f"t1_{reply_id}",
        "id": reply_id,
        "author": BOT,
        "body": "Thanks for posting.",
        "body_html": html("Thanks for posting."),
    }
    conversation_id = "2h4vn"
    message_id = "7k1q0"
    modmail = {
        "conversation": {
            "id": conversation_id,
            "subject": "Subject",
            "isInternal": True,
            "isAuto": False,
            "isRepliable": True,
            "numMessages": 1,
            "state": 0,
            "owner": {"displayName": SUB, "type": "subreddit", "id": SUB_ID},
            "objIds": [{"id": message_id, "key": "messages"}],
            "authors": [{"name": BOT, "isMod": True, "isAdmin": False, "isOp": True, "isHidden": False}],
            "lastUpdated": "2026-01-05T10:00:03+00:00",
        },
        "messages": {
            message_id: {
                "id": message_id,
                "body": html("Body"),
                "bodyMarkdown": "Body",
                "author": {"name": BOT, "isMod": True, "isHidden": False},
                "isInternal": True,
                "date": "2026-01-05T10:00:03+00:00",
            }
        },
        "modActions": {},
    }
    post = links_newest_first[0]["data"]["name"]
    reply_to = newest_first[0]["data"]["name"]
    # A moderator's reply in that conversation, and Haven's answer to it.
    reply_message = "7k1q1"
    answer_message = "7k1q2"
    moderator_reply = {
        "id": reply_message,
        "body": html("!haven ack"),
        "bodyMarkdown": "!haven ack",
        "author": {"name": "kind_heron", "isMod": True, "isAdmin": False, "isOp": False, "isHidden": False},
        "isInternal": True,
        "date": "2026-01-05T10:04:00+00:00",
    }
    answer = {
        "id": answer_message,
        "body": html("Acknowledged"),
        "bodyMarkdown": "Acknowledged",
        "author": {"name": BOT, "isMod": True, "isAdmin": False, "isOp": True, "isHidden": False},
        "isInternal": True,
        "date": "2026-01-05T10:05:00+00:00",
    }
    replied = {
        "conversation": modmail["conversation"]
        | {
            "numMessages": 2,
            "objIds": [*modmail["conversation"]["objIds"], {"id": reply_message, "key": "messages"}],
            "lastUpdated": moderator_reply["date"],
        },
        "messages": {**modmail["messages"], reply_message: moderator_reply},
        "modActions": {},
        "user": {},
    }
    answered = {
        "conversation": replied["conversation"]
        | {
            "numMessages": 3,
            "objIds": [*replied["conversation"]["objIds"], {"id": answer_message, "key": "messages"}],
            "lastUpdated": answer["date"],
        },
        "messages": {**replied["messages"], answer_message: answer},
        "modActions": {},
    }
    listed = {
        "conversations": {conversation_id: dict(replied["conversation"])},
        "conversationIds": [conversation_id],
        "messages": {reply_message: moderator_reply},
        "viewerId": "t2_h4v3nb0t",
    }
    moderators = {
        "kind": "UserList",
        "data": {
            "children": [
                {"name": BOT, "id": "t2_h4v3nb0t", "rel_id": "rb_1", "date": FIRST_EPOCH, "mod_permissions": ["all"]},
                {"name": "kind_heron", "id": "t2_k1ndh", "rel_id": "rb_2", "date": FIRST_EPOCH,
                 "mod_permissions": ["posts", "mail"]},
                {"name": "lakeside_jo", "id": "t2_l4k3j", "rel_id": "rb_3", "date": FIRST_EPOCH,
                 "mod_permissions": ["mail"]},
            ]
        },
    }  # fmt: skip

    def form(**fields: str) -> dict[str, str]:
        return {"api_type": "json", **fields}

    return {
        "listing_new.json": [
            token({"grant_type": "client_credentials"}),
            exchange(
                "GET", f"{API}/r/{SUB}/new?{listing_query}", None, 200, listing(links_newest_first), limits(1, 540)
            ),
        ],
        "listing_comments.json": [
            token({"grant_type": "client_credentials"}),
            exchange("GET", f"{API}/r/{SUB}/comments/?{listing_query}", None, 200, listing(first_page), limits(1, 530)),
            exchange(
                "GET",
                f"{API}/r/{SUB}/comments/?before={first_page[0]['data']['name']}&{listing_query}",
                None,
                200,
                listing(later),
                limits(2, 528),
            ),
        ],
        "listing_modqueue.json": [
            token(REFRESH_GRANT, MOD_SCOPE),
            exchange(
                "GET", f"{API}/r/{SUB}/about/modqueue/?{listing_query}", None, 200, listing(queued), limits(3, 470)
            ),
        ],
        "listing_edited.json": [
            token(REFRESH_GRANT, MOD_SCOPE),
            exchange("GET", f"{API}/r/{SUB}/about/edited/?{listing_query}", None, 200, listing([]), limits(4, 466)),
        ],
        "moderation.json": [
            token(PASSWORD_GRANT),
            exchange("POST", f"{API}/api/remove/?raw_json=1", form(id=post, spam="True"), 200, {}, limits(5, 300)),
            exchange("POST", f"{API}/api/approve/?raw_json=1", form(id=post), 200, {}, limits(6, 298)),
            exchange(
                "POST",
                f"{API}/api/report/?raw_json=1",
                form(id=post, reason="rule 2"),
                200,
                {"json": {"errors": []}},
                limits(7, 297),
            ),
            exchange(
                "POST",
                f"{API}/api/comment/?raw_json=1",
                form(thing_id=reply_to, text="Thanks for posting."),
                200,
                {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": reply_thing}]}}},
                limits(8, 295),
            ),
            exchange(
                "POST",
                f"{API}/api/distinguish/?raw_json=1",
                form(id=f"t1_{reply_id}", how="yes"),
                200,
                {
                    "json": {
                        "errors": [],
                        "data": {"things": [{"kind": "t1", "data": reply_thing | {"distinguished": "moderator"}}]},
                    }
                },
                limits(9, 294),
            ),
            exchange("POST", f"{API}/api/lock/?raw_json=1", form(id=post), 200, {}, limits(10, 292)),
            exchange(
                "POST",
                f"{API}/api/mod/conversations/?raw_json=1",
                form(srName=SUB, to=BOT, subject="Subject", body="Body", isAuthorHidden="False"),
                201,
                modmail,
                limits(11, 290),
            ),
        ],
        "modmail.json": [
            token(PASSWORD_GRANT),
            exchange(
                "GET",
                f"{API}/api/mod/conversations/?entity={SUB}&limit=25&raw_json=1&sort=recent&state=all",
                None,
                200,
                listed,
                limits(12, 288),
            ),
            exchange(
                "GET", f"{API}/api/mod/conversations/{conversation_id}?raw_json=1", None, 200, replied, limits(13, 287)
            ),
            exchange("GET", f"{API}/r/{SUB}/about/moderators/?raw_json=1", None, 200, moderators, limits(14, 286)),
            exchange(
                "POST",
                f"{API}/api/mod/conversations/{conversation_id}?raw_json=1",
                form(body="Acknowledged", isAuthorHidden="False"),
                201,
                answered,
                limits(15, 284),
            ),
        ],
    }


def render() -> dict[str, str]:
    """File name -> the text written for it."""
    return {
        name: json.dumps({"interactions": interactions, "recorded_at": RECORDED_AT, "version": 1}, indent=1) + "\n"
        for name, interactions in cassettes().items()
    }


def main() -> None:
    for name, content in render().items():
        (HERE / name).write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
