"""A Reddit stand-in on loopback built from the project's recorded exchanges (recordings/).

The exchanges are written for this project from the documented API shapes
(recordings/write.py, the Reddit section of the contract sheet), so the suite
needs nothing outside the repository; `test_praw_shapes.py` adds a comparison
with PRAW's real recordings when `../shared/fixtures/reddit/` is there.

Two real HTTP servers (auth host and API host, as on Reddit) answer only
requests that match a recorded one: same method, same path (the subreddit in
the path is the one variable), the same query parameters and form fields by
name, and the values that matter (grant, credentials, fullname kinds, spam
flag, api_type, raw_json). Everything else gets a 404 and lands in
`unmatched`. Non-listing answers are the recorded bodies and rate-limit
headers. Listings are served from the recorded items with Reddit's
`before`/`limit` semantics, so a test can publish items over time, delete the
cursor item, or restart the client; `test_replay_fidelity` checks that with
everything published the answers equal the recorded pages.

Placeholders in the cassettes are replaced by the test's own values.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.plugins.reddit.recordings.write import listing

# The project's own exchanges (recordings/write.py builds them from the documented API shapes).
RECORDINGS = Path(__file__).resolve().parent / "recordings"

SUBREDDIT = "havensupport"
USERNAME = "haven_test_bot"
PASSWORD = "test-password"
REFRESH_TOKEN = "test-refresh-token"
ACCESS_TOKEN = "test-access-token"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
USER_AGENT = "python:org.haven.test:v0.1.0 (by /u/haven_test_bot)"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

PLACEHOLDERS = {
    "<TEST_SUBREDDIT>": SUBREDDIT,
    "<USERNAME>": USERNAME,
    "<PASSWORD>": PASSWORD,
    "<REFRESH_TOKEN>": REFRESH_TOKEN,
    "<ACCESS_TOKEN>": ACCESS_TOKEN,
}

CASSETTES = (
    "listing_new.json",
    "listing_comments.json",
    "listing_modqueue.json",
    "listing_edited.json",
    "moderation.json",
    "modmail.json",
)

_FULLNAME = re.compile(r"^t[13]_[a-z0-9]+$")
_SUB_PATH = re.compile(r"^/r/[^/]+/")
_CONVERSATION_PATH = re.compile(r"^/api/mod/conversations/[a-z0-9]+$")
# Form fields whose values must equal the recorded ones, or follow the recorded shape.
_EXACT = {"api_type", "grant_type", "username", "password", "refresh_token", "raw_json", "limit"}
_SHAPES: dict[str, re.Pattern[str]] = {
    "id": _FULLNAME,
    "thing_id": _FULLNAME,
    "before": _FULLNAME,
    "spam": re.compile(r"^(True|False)$"),
    "isAuthorHidden": re.compile(r"^(True|False)$"),
    "how": re.compile(r"^(yes|no|admin|special)$"),
    "srName": re.compile(r"^[A-Za-z0-9_]{2,21}$"),
    "to": re.compile(r"^[A-Za-z0-9_-]{3,20}$"),
    "entity": re.compile(r"^[A-Za-z0-9_]{2,21}$"),
    "state": re.compile(r"^(all|new|inprogress|mod|notifications|archived|highlighted|join_requests|filtered)$"),
    "sort": re.compile(r"^(recent|mod|user|unread)$"),
}


def _sub(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def _body(part: Any) -> str:
    if part is None:
        return ""
    if isinstance(part, str):
        return part
    return str(part.get("string", ""))


def template_path(path: str) -> str:
    """/r/askreddit/new -> /r/{sub}/new, /api/mod/conversations/2h4vn -> .../{id}: the subreddit
    and the modmail conversation are the variables of a recorded path."""
    if _CONVERSATION_PATH.match(path):
        return "/api/mod/conversations/{id}"
    return _SUB_PATH.sub("/r/{sub}/", path)


@dataclass
class Recorded:
    name: str
    host: str  # auth | api
    method: str
    path: str  # template
    query: dict[str, str]
    form: dict[str, str]
    status: int
    headers: dict[str, str]
    body: str


def load_recordings() -> list[Recorded]:
    return list(_load_recordings())


@functools.cache
def _load_recordings() -> tuple[Recorded, ...]:
    return tuple(exchange for name in CASSETTES for exchange in read_cassette(RECORDINGS / name))


def read_cassette(path: Path) -> list[Recorded]:
    """The exchanges of one betamax cassette, placeholders replaced, paths as templates."""
    recorded: list[Recorded] = []
    name = path.name
    cassette = json.loads(path.read_text(encoding="utf-8"))
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        url = urlsplit(_sub(request["uri"]))
        recorded.append(
            Recorded(
                name=name,
                host="auth" if url.netloc == "www.reddit.com" else "api",
                method=request["method"],
                path=template_path(url.path),
                query={k: v[0] for k, v in parse_qs(url.query).items()},
                form={k: v[0] for k, v in parse_qs(_sub(_body(request.get("body")))).items()},
                status=int(response["status"]["code"]),
                headers={
                    k.lower(): v[0] for k, v in response["headers"].items() if k.lower().startswith("x-ratelimit")
                },
                body=_sub(_body(response.get("body"))),
            )
        )
    return recorded


def recorded_listing(cassette: str, index: int) -> dict[str, Any]:
    """The `index`-th listing answer recorded in `cassette` (a fresh copy)."""
    listings = [r for r in _load_recordings() if r.name == cassette and r.method == "GET"]
    listing: dict[str, Any] = json.loads(listings[index].body)
    return listing


@dataclass
class Feed:
    """One listing (e.g. r/sub/comments), newest first; only `published` items are visible."""

    items: list[dict[str, Any]]
    published: int = 0  # how many of the oldest items are visible

    def visible(self) -> list[dict[str, Any]]:
        return self.items[len(self.items) - self.published :] if self.published else []

    def publish(self, count: int | None = None) -> None:
        self.published = len(self.items) if count is None else min(len(self.items), self.published + count)

    def push(self, child: dict[str, Any]) -> None:
        """A brand-new item, newer than everything, published at once."""
        self.items.insert(0, child)
        self.published += 1

    def delete(self, fullname: str) -> None:
        start = len(self.items) - self.published
        for i, child in enumerate(self.items):
            if child["data"]["name"] == fullname:
                del self.items[i]
                if i >= start:
                    self.published -= 1
                return

    def page(self, before: str | None, limit: int) -> list[dict[str, Any]]:
        visible = self.visible()
        if before is None:
            return visible[:limit]
        names = [c["data"]["name"] for c in visible]
        if before not in names:
            return []  # Reddit's answer when the anchor item is gone
        newer = visible[: names.index(before)]
        return newer[-limit:]


@dataclass
class Seen:
    host: str
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: int
    recorded: str | None


@dataclass
class Injected:
    path_suffix: str
    status: int
    headers: dict[str, str]


@dataclass
class Conversation:
    """A modmail conversation on the stand-in: what Haven opened, and the replies in it."""

    id: str
    subreddit: str
    subject: str
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Modmail:
    """Modmail with state: conversations get ids of their own, replies pile up, and the
    answers keep the recorded shapes (recordings/modmail.json, moderation.json)."""

    conversations: dict[str, Conversation] = field(default_factory=dict)
    # lower-cased subreddit -> its moderators (the recorded list unless a test sets one)
    moderators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    serial: int = 0

    def _message(self, author: str, body: str, *, is_mod: bool) -> dict[str, Any]:
        self.serial += 1
        return {
            "id": f"m{self.serial:05d}",
            "body": f'<div class="md"><p>{body}</p></div>',
            "bodyMarkdown": body,
            "author": {"name": author, "isMod": is_mod, "isAdmin": False, "isOp": False, "isHidden": False},
            "isInternal": True,
            # One second apart, in order: the stand-in's clock is its message count.
            "date": f"2026-01-05T11:{self.serial // 60 % 60:02d}:{self.serial % 60:02d}+00:00",
        }

    def open(self, subreddit: str, subject: str, author: str, body: str) -> Conversation:
        self.serial += 1
        conversation = Conversation(f"c{self.serial:05d}", subreddit, subject)
        conversation.messages.append(self._message(author, body, is_mod=True))
        self.conversations[conversation.id] = conversation
        return conversation

    def reply(self, conversation_id: str, author: str, body: str, *, is_mod: bool = True) -> dict[str, Any]:
        """A message in a conversation: Haven's answer, or (from a test) a moderator's reply."""
        message = self._message(author, body, is_mod=is_mod)
        self.conversations[conversation_id].messages.append(message)
        return message

    def replies_by(self, conversation_id: str, author: str) -> list[str]:
        return [
            m["bodyMarkdown"] for m in self.conversations[conversation_id].messages if m["author"]["name"] == author
        ]

    def summary(self, conversation: Conversation) -> dict[str, Any]:
        return {
            "id": conversation.id,
            "subject": conversation.subject,
            "isInternal": True,
            "isAuto": False,
            "isRepliable": True,
            "numMessages": len(conversation.messages),
            "state": 0,
            "owner": {"displayName": conversation.subreddit, "type": "subreddit", "id": "t5_3h4v3n"},
            "objIds": [{"id": m["id"], "key": "messages"} for m in conversation.messages],
            "authors": [dict(m["author"]) for m in conversation.messages],
            "lastUpdated": conversation.messages[-1]["date"],
        }

    def full(self, conversation: Conversation) -> dict[str, Any]:
        messages = {m["id"]: m for m in conversation.messages}
        return {"conversation": self.summary(conversation), "messages": messages, "modActions": {}, "user": {}}

    def listing(self, subreddit: str) -> dict[str, Any]:
        mine = [c for c in self.conversations.values() if c.subreddit.lower() == subreddit.lower()]
        mine.sort(key=lambda c: c.messages[-1]["date"], reverse=True)
        return {
            "conversations": {c.id: self.summary(c) for c in mine},
            "conversationIds": [c.id for c in mine],
            "messages": {c.messages[-1]["id"]: c.messages[-1] for c in mine},
            "viewerId": "t2_h4v3nb0t",
        }


@dataclass
class Reddit:
    """The two servers' shared state."""

    recordings: list[Recorded]
    feeds: dict[tuple[str, str], Feed] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    tokens_issued: int = 0
    modmail: Modmail = field(default_factory=Modmail)
    lock: threading.Lock = field(default_factory=threading.Lock)
    auth_url: str = ""
    api_url: str = ""

    @property
    def listing_parameters(self) -> list[set[str]]:
        """The parameter sets recorded for any listing (the `before=` poll is recorded on /comments/)."""
        return [set(r.query) for r in self.recordings if r.method == "GET" and r.name.startswith("listing_")]

    @property
    def unmatched(self) -> list[Seen]:
        return [r for r in self.requests if r.recorded is None]

    def api_requests(self, path_suffix: str = "") -> list[Seen]:
        return [r for r in self.requests if r.host == "api" and r.path.endswith(path_suffix)]

    def inject(self, path_suffix: str, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self.injected.append(Injected(path_suffix, status, headers or {}))

    def feed(self, stream: str, subreddit: str = SUBREDDIT) -> Feed:
        return self.feeds[(subreddit.lower(), stream)]

    # ---------------------------------------------------------------- matching
    def match(self, host: str, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Recorded | None:
        for rec in self.recordings:
            if (rec.host, rec.method, rec.path) != (host, method, template_path(path)):
                continue
            if set(rec.form) != set(form):
                continue
            listing = method == "GET" and rec.name.startswith("listing_")
            if set(query) not in (self.listing_parameters if listing else [set(rec.query)]):
                continue
            values = {**query, **form}
            expected = {**rec.query, **rec.form}
            if any(values[k] != expected[k] for k in values if k in _EXACT):
                continue
            if any(not _SHAPES[k].match(values[k]) for k in values if k in _SHAPES):
                continue
            return rec
        return None

    def answer(
        self, host: str, method: str, url: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        rec = self.match(host, method, parts.path, query, form)
        out_headers: dict[str, str] = {}
        status, body = 404, b'{"message": "Not Found", "error": 404}'
        if rec is not None:
            status, out_headers, body = self._respond(rec, host, parts.path, query, headers, form)
        with self.lock:
            self.requests.append(
                Seen(host, method, parts.path, query, form, headers, status, rec.name if rec is not None else None)
            )
            self.events.append(("request", f"{method} {parts.path} {status}"))
        return status, out_headers, body

    def _respond(
        self, rec: Recorded, host: str, path: str, query: dict[str, str], headers: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if headers.get("user-agent") != USER_AGENT:
            return 403, {}, b'{"error": "bad user agent"}'
        if host == "auth":
            if headers.get("authorization") != BASIC:
                return 401, {}, b'{"message": "Unauthorized", "error": 401}'
            with self.lock:
                self.tokens_issued += 1
            return rec.status, {}, rec.body.encode()
        if headers.get("authorization") != f"bearer {ACCESS_TOKEN}":
            return 401, {}, b'{"message": "Unauthorized", "error": 401}'
        with self.lock:
            for i, injected in enumerate(self.injected):
                if path.endswith(injected.path_suffix):
                    del self.injected[i]
                    return injected.status, injected.headers, b'{"message": "Too Many Requests"}'
        if rec.name == "modmail.json" or rec.path == "/api/mod/conversations/":
            return self._modmail(rec, path, query, form)
        if rec.method == "GET":
            sub = path.split("/")[2].lower()
            stream = next((name for name in ("modqueue", "edited", "comments") if f"/{name}/" in path), "new")
            feed = self.feeds.get((sub, stream))
            children = feed.page(query.get("before"), int(query["limit"])) if feed else []
            return rec.status, rec.headers, json.dumps(listing(children)).encode()
        return rec.status, rec.headers, rec.body.encode()

    def _modmail(
        self, rec: Recorded, path: str, query: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """The modmail calls, answered from the stand-in's state in the recorded shapes."""
        recorded: dict[str, Any] = json.loads(rec.body)
        with self.lock:
            mail = self.modmail
            if rec.path.startswith("/r/{sub}/"):
                listed = mail.moderators.get(path.split("/")[2].lower(), recorded["data"]["children"])
                answer: dict[str, Any] = {"kind": recorded["kind"], "data": {"children": listed}}
            elif rec.path == "/api/mod/conversations/" and rec.method == "GET":
                answer = mail.listing(query["entity"])
            elif rec.path == "/api/mod/conversations/":
                opened = mail.open(form["srName"], form["subject"], USERNAME, form["body"])
                answer = {**mail.full(opened), "modActions": recorded["modActions"]}
            else:
                conversation = mail.conversations.get(path.rsplit("/", 1)[1])
                if conversation is None:
                    return 404, {}, b'{"message": "Not Found", "error": 404}'
                if rec.method == "POST":
                    mail.reply(conversation.id, USERNAME, form["body"])
                answer = mail.full(conversation)
        return rec.status, rec.headers, json.dumps(answer).encode()


def _handler(state: Reddit, host: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, body = state.answer(host, self.command, self.path, form, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in out_headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _rebrand(child: dict[str, Any], subreddit: str) -> dict[str, Any]:
    """A recorded item moved into the test's subreddit (as the placeholder substitution does)."""
    child = copy.deepcopy(child)
    data = child["data"]
    old = data.get("subreddit", "")
    data["subreddit"] = subreddit
    data["subreddit_name_prefixed"] = f"r/{subreddit}"
    if isinstance(data.get("permalink"), str) and old:
        data["permalink"] = data["permalink"].replace(f"/r/{old}/", f"/r/{subreddit}/")
    return child


def seed_feeds(state: Reddit, subreddit: str = SUBREDDIT) -> None:
    comments_page_1 = recorded_listing("listing_comments.json", 0)
    comments_page_2 = recorded_listing("listing_comments.json", 1)
    names = {c["data"]["name"] for c in comments_page_1["data"]["children"]}
    newer = [c for c in comments_page_2["data"]["children"] if c["data"]["name"] not in names]
    comments = newer + comments_page_1["data"]["children"]
    new = recorded_listing("listing_new.json", 0)["data"]["children"]
    modqueue = recorded_listing("listing_modqueue.json", 0)["data"]["children"]
    sub = subreddit.lower()
    state.feeds[(sub, "comments")] = Feed([_rebrand(c, subreddit) for c in comments])
    state.feeds[(sub, "new")] = Feed([_rebrand(c, subreddit) for c in new])
    state.feeds[(sub, "modqueue")] = Feed([_rebrand(c, subreddit) for c in modqueue])
    state.feeds[(sub, "edited")] = Feed([])  # tests push edited copies of recorded items


class ReplayServers:
    def __init__(self, subreddit: str = SUBREDDIT) -> None:
        self.state = Reddit(load_recordings())
        self._servers = [
            ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state, "auth")),
            ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state, "api")),
        ]
        self._threads = [threading.Thread(target=s.serve_forever, args=(0.02,), daemon=True) for s in self._servers]
        self.state.auth_url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
        self.state.api_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}"
        seed_feeds(self.state, subreddit)

    def __enter__(self) -> Reddit:
        for thread in self._threads:
            thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps (or the test says so)."""

    def __init__(self, events: list[tuple[str, Any]], start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._events = events

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._events.append(("sleep", seconds))
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


Sleep = Callable[[float], None]


def clone(
    child: dict[str, Any],
    serial: int,
    *,
    body: str | None = None,
    author: str | None = None,
    item_id: str | None = None,
) -> dict[str, Any]:
    """A new item shaped exactly like a recorded one, newer than everything recorded.

    Its id is `zz<serial>` unless `item_id` (lower-case base 36) is given: tests sharing a
    Redis database with other runs give their items ids of their own."""
    item = copy.deepcopy(child)
    data = item["data"]
    new_id = item_id or f"zz{serial:05d}"
    old_id = data["id"]
    data["id"] = new_id
    data["name"] = f"{item['kind']}_{new_id}"
    data["created_utc"] = 1_800_000_000.0 + serial
    data["created"] = data["created_utc"]
    if isinstance(data.get("permalink"), str):
        data["permalink"] = data["permalink"].replace(old_id, new_id)
    if body is not None:
        data["body" if item["kind"] == "t1" else "selftext"] = body
    if author is not None:
        data["author"] = author
    return item


def edited_copy(child: dict[str, Any], text: str, edited_at: float) -> dict[str, Any]:
    """A recorded item as `/about/edited/` lists it after its author edited it: the same
    fullname and shape, the new text, `edited` the epoch of the edit (false until then)."""
    item = copy.deepcopy(child)
    data = item["data"]
    data["body" if item["kind"] == "t1" else "selftext"] = text
    if item["kind"] == "t3":
        data["is_self"] = True
    data["edited"] = edited_at
    return item
