"""Listing pollers: /r/{sub}/new and /r/{sub}/comments/ with a cursor, modqueue and edited without.

The cursor of a stream is the fullname of the newest item handed to Haven
(with its created_utc), kept in the host's key-value store (Redis), so a
restart resumes exactly where the last pass stopped. Each pass asks for
`before=<cursor>`, which Reddit answers with the items newer than it (up to
100, the ones right after the cursor; a full page means there may be more, so
the pass asks again). Items are handed to Haven oldest first, then marked
seen, then the cursor moves: a crash in between repeats at most one page, and
the seen marks and the host's own deduplication absorb that.

When the cursor item disappears (deleted, removed), Reddit answers `before=`
with an empty listing for ever. So an empty answer triggers a catch-up: the
newest page without `before`; if the cursor is not in it, everything created
at or after the cursor's time that was not seen yet is handed over, and the
cursor moves to the newest item that exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from haven.domain import Post
from haven.plugins.protocol import KeyValue, PluginHost

from haven_reddit.client import RedditClient, RedditError
from haven_reddit.normalise import normalise
from haven_reddit.ratelimit import RateLimited
from haven_reddit.settings import RedditSettings

log = logging.getLogger("haven.plugins.reddit")

PAGE = 100
SEEN_TTL = 7 * 24 * 3600
MAX_PAGES_PER_PASS = 10


@dataclass(frozen=True)
class Stream:
    subreddit: str
    name: str  # new | comments | modqueue | edited
    path: str
    cursor: bool

    @property
    def key(self) -> str:
        return f"reddit:cursor:{self.subreddit.lower()}:{self.name}"


def streams_for(settings: RedditSettings) -> list[Stream]:
    streams: list[Stream] = []
    for sub in settings.subreddits:
        streams.append(Stream(sub, "new", f"/r/{sub}/new", cursor=True))
        streams.append(Stream(sub, "comments", f"/r/{sub}/comments/", cursor=True))
        if settings.poll_modqueue:
            streams.append(Stream(sub, "modqueue", f"/r/{sub}/about/modqueue/", cursor=False))
        if settings.poll_edited:
            streams.append(Stream(sub, "edited", f"/r/{sub}/about/edited/", cursor=False))
    return streams


@dataclass
class PassReport:
    requests: int = 0
    fetched: int = 0
    ingested: int = 0
    skipped: int = 0
    catch_ups: int = 0
    errors: list[str] = field(default_factory=list)


def _children(listing: Any) -> list[Mapping[str, Any]]:
    if not isinstance(listing, Mapping):
        return []
    data = listing.get("data")
    children = data.get("children") if isinstance(data, Mapping) else None
    return [c for c in children or [] if isinstance(c, Mapping) and isinstance(c.get("data"), Mapping)]


def _fullname(child: Mapping[str, Any]) -> str:
    data = child["data"]
    return str(data.get("name") or f"{child.get('kind')}_{data.get('id')}")


def _created(child: Mapping[str, Any]) -> float:
    value = child["data"].get("created_utc")
    return float(value) if isinstance(value, (int, float)) else 0.0


class Poller:
    def __init__(
        self,
        client: RedditClient,
        host: PluginHost,
        settings: RedditSettings,
        *,
        ingest: Callable[[Sequence[Post]], object] | None = None,
    ) -> None:
        self.client = client
        self.host = host
        self.settings = settings
        self.streams = streams_for(settings)
        self._ingest = ingest or host.ingest

    @property
    def kv(self) -> KeyValue:
        return self.host.kv

    # ------------------------------------------------------------------ cursor
    def cursor(self, stream: Stream) -> tuple[str, float] | None:
        raw = self.kv.get(stream.key)
        if not raw:
            return None
        try:
            value = json.loads(raw)
            return str(value["fullname"]), float(value["created_utc"])
        except (ValueError, KeyError, TypeError):
            return None

    def _save_cursor(self, stream: Stream, child: Mapping[str, Any]) -> None:
        self.kv.set(stream.key, json.dumps({"fullname": _fullname(child), "created_utc": _created(child)}))

    # ------------------------------------------------------------------ passes
    def poll_once(self) -> PassReport:
        """One pass over every stream. A 429 ends the pass (the limiter holds the next request until
        Reddit's reset); any other failure stops only its own stream, whose cursor stays put."""
        report = PassReport()
        for stream in self.streams:
            lock = f"reddit:lock:{stream.subreddit.lower()}:{stream.name}"
            if not self.kv.add(lock, "1", ttl_seconds=self.settings.poll_lock_seconds):
                continue  # another poller is on this stream right now
            try:
                self._poll(stream, report)
            except RateLimited as exc:
                report.errors.append(f"{stream.subreddit}/{stream.name}: rate limited for {exc.wait_seconds:.0f}s")
                return report
            except (RedditError, ValueError) as exc:
                report.errors.append(f"{stream.subreddit}/{stream.name}: {type(exc).__name__}")
                status = getattr(exc, "status", None)
                log.warning(
                    "reddit.poll_failed", extra={"subreddit": stream.subreddit, "stream": stream.name, "status": status}
                )
            finally:
                self.kv.delete(lock)
        return report

    def _fetch(self, stream: Stream, report: PassReport, before: str | None = None) -> list[Mapping[str, Any]]:
        params = {"limit": str(PAGE)}
        if before is not None:
            params["before"] = before
        report.requests += 1
        children = _children(self.client.get(stream.path, params))
        report.fetched += len(children)
        return children

    def _poll(self, stream: Stream, report: PassReport) -> None:
        if not stream.cursor:
            self._hand_over(self._fetch(stream, report), report)
            return
        cursor = self.cursor(stream)
        if cursor is None:
            page = self._fetch(stream, report)
            self._hand_over(page[: self.settings.initial_backlog], report)
            if page:
                self._save_cursor(stream, page[0])
            return
        for pages in range(MAX_PAGES_PER_PASS):
            page = self._fetch(stream, report, before=cursor[0])
            if not page:
                if pages == 0:
                    self._catch_up(stream, cursor, report)
                return
            self._hand_over(page, report)
            self._save_cursor(stream, page[0])
            cursor = (_fullname(page[0]), _created(page[0]))
            if len(page) < PAGE:
                return

    def _catch_up(self, stream: Stream, cursor: tuple[str, float], report: PassReport) -> None:
        page = self._fetch(stream, report)
        names = [_fullname(child) for child in page]
        if cursor[0] in names:
            newer = page[: names.index(cursor[0])]  # arrived between the two requests
        else:
            report.catch_ups += 1
            log.info("reddit.catch_up", extra={"subreddit": stream.subreddit, "stream": stream.name})
            newer = [child for child in page if _created(child) >= cursor[1]]
        self._hand_over(newer, report)
        if newer or (page and cursor[0] not in names):
            self._save_cursor(stream, page[0])

    def _hand_over(self, newest_first: Sequence[Mapping[str, Any]], report: PassReport) -> None:
        """Normalise, drop what was seen, ingest oldest first, then mark seen."""
        posts: list[Post] = []
        for child in reversed(newest_first):
            post = normalise(
                child, self.settings.community_of, own_username=self.settings.username, locale=self.settings.locale
            )
            if post is None:
                report.skipped += 1
                continue
            if self.kv.get(self._seen_key(post)) is not None:
                continue
            posts.append(post)
        if not posts:
            return
        self._ingest(posts)
        for post in posts:
            self.kv.set(self._seen_key(post), "1", ttl_seconds=SEEN_TTL)
        report.ingested += len(posts)
        log.info("reddit.ingested", extra={"count": len(posts), "ids": [p.external_id for p in posts][:20]})

    @staticmethod
    def _seen_key(post: Post) -> str:
        return f"reddit:seen:{post.external_id}:{post.revision}"
