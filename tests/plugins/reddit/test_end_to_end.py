"""The Reddit plugin through the real service: `haven serve` and `haven worker` processes,
Redis, PostgreSQL, `haven plugins reddit poll --once` as the poller, and the loopback replay
servers (tests/plugins/reddit/replay.py) answering only requests that match a recording."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from haven.domain import Author, Post
from haven.plugins.host import RedisKeyValue
from haven.plugins.ledger import ActionLedger

from tests.plugins.reddit.conftest import env_for
from tests.plugins.reddit.replay import USERNAME, Reddit, ReplayServers, clone

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
# Redis databases 3 and 4, one per xdist worker (the first is HAVEN_TEST_REDDIT_REDIS_DB): apart from
# the harness's 5-12, the Discourse tests' 7, the Reddit unit tests' 8, Slack's 14-15 and the bench's 13.
FIRST_REDIS_DB = int(os.environ.get("HAVEN_TEST_REDDIT_REDIS_DB", "3"))
CRISIS = "I'm going to end my life tonight, goodbye everyone"
# Ids of this run only; the plugin's state (cursors, seen marks) sits under this run's key prefix.
RUN = uuid.uuid4().hex[:8]
SUBREDDIT = f"haven_{RUN}"
MEMBER = f"member_{RUN}"


@dataclass
class Haven:
    reddit: Reddit
    env: dict[str, str]
    api: httpx.Client
    kv: RedisKeyValue
    ledger: ActionLedger
    community: str
    logs: list[Path]
    poller_output: list[str] = field(default_factory=list)
    decision_ids: list[str] = field(default_factory=list)

    def poll(self) -> dict[str, Any]:
        """One pass of the real poller, as an operator runs it; returns its summary."""
        from tests.integration.harness import run_haven

        done = run_haven("plugins", "reddit", "poll", "--once", env=self.env)
        self.poller_output.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stderr
        summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return summary

    def decision(self, decision_id: str) -> dict[str, Any]:
        from tests.integration.harness import wait_until

        self.decision_ids.append(decision_id)

        def decided() -> dict[str, Any] | None:
            found: dict[str, Any] = self.api.get(f"/v1/decisions/{decision_id}").json()
            return found if found.get("status") == "decided" else None

        result: dict[str, Any] = wait_until(decided)
        return result


def decision_id_of(community: str, fullname: str, revision: str = "1") -> str:
    post = Post(platform="reddit", community=community, external_id=fullname, revision=revision, author=Author(id="x"))
    return post.decision_id()


@pytest.fixture(scope="module")
def haven(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Haven]:
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    from tests.integration.harness import (
        REDIS_HOST,
        delete_keys,
        full_mode_env,
        new_key_prefix,
        postgres_database,
        start_api,
        start_worker,
        xdist_index,
    )

    folder = tmp_path_factory.mktemp("reddit-e2e")
    community = f"reddit-{RUN}"
    redis_url = f"{REDIS_HOST}/{FIRST_REDIS_DB + xdist_index(worker_id) % 2}"
    prefix = new_key_prefix()
    client = redis.Redis.from_url(redis_url)
    with ReplayServers(SUBREDDIT) as reddit, postgres_database(prefix="haven_reddit") as database:
        store = SqlStore.from_url(database.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        secret, _ = store.create_api_key(community, ["admin"])
        plugin = env_for(reddit, subreddits=f"{SUBREDDIT}={community}", initial_backlog="0")
        env = full_mode_env(
            redis_url,
            prefix,
            database,
            folder,
            visibility_seconds=30,
            HAVEN_POLICY_DIR=str(REPO / "policies"),
            **plugin,
        )
        logs = [folder / "worker.log", folder / "api.log"]
        worker = start_worker(env, logs[0])
        try:
            api_process, base = start_api(env, logs[1])
            try:
                with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=10) as api:
                    haven = Haven(
                        reddit, env, api, RedisKeyValue(client, prefix), ActionLedger(store.engine), community, logs
                    )
                    yield haven
            finally:
                api_process.stop()
        finally:
            worker.stop()
            store.dispose()
            # The plugin's state sits under this run's key prefix too.
            delete_keys(redis_url, prefix)
            client.close()


def test_crisis_comment_polled_through_the_service_gets_modmail_to_the_author_and_the_moderators(
    haven: Haven,
) -> None:
    from tests.integration.harness import wait_until

    reddit = haven.reddit
    comments = reddit.feed("comments", SUBREDDIT)
    comments.publish()

    first = haven.poll()  # places the cursors; the backlog is not judged (INITIAL_BACKLOG=0)
    assert (first["ingested"], first["errors"]) == (0, [])
    # The cursor lives in the real host's KeyValue (Redis, under the key prefix), so the next
    # `haven plugins reddit poll` process resumes from it.
    stored = haven.kv.get(f"reddit:cursor:{SUBREDDIT.lower()}:comments")
    assert stored is not None
    assert json.loads(stored)["fullname"] == comments.visible()[0]["data"]["name"]

    crisis = clone(comments.visible()[0], 1, body=CRISIS, author=MEMBER, item_id=f"zz{RUN}")
    comments.push(crisis)
    second = haven.poll()
    assert (second["ingested"], second["errors"]) == (1, [])
    resumed = [r for r in reddit.api_requests("/comments/") if "before" in r.query]
    assert [r.query["before"] for r in resumed] == [json.loads(stored)["fullname"]]

    fullname = crisis["data"]["name"]
    decision = haven.decision(decision_id_of(haven.community, fullname))["decision"]
    assert decision["verdict"] == "escalate"

    def carried_out() -> dict[str, str] | None:
        actions = haven.ledger.for_decision(decision["id"])
        finished = actions and all(a.status != "pending" for a in actions)
        return {a.id.split(":", 1)[1]: a.status for a in actions} if finished else None

    statuses = wait_until(carried_out)
    assert statuses.pop("escalate:") == "done"
    assert statuses.pop("reply:crisis-resources") == "done"
    # The rest are labels, which Reddit cannot do: recorded as such, never sent.
    assert {key.split(":")[0] for key in statuses} <= {"label"}
    assert set(statuses.values()) <= {"unsupported"}
    modmail = [r for r in reddit.api_requests("/api/mod/conversations/") if r.method == "POST"]
    by_recipient = {r.form["to"]: r.form for r in modmail}
    assert len(modmail) == 2
    assert set(by_recipient) == {MEMBER, USERNAME}
    to_author = by_recipient[MEMBER]
    assert (to_author["srName"], to_author["isAuthorHidden"]) == (SUBREDDIT, "True")
    # The crisis lines (Reddit gives no locale: the international ones).
    assert "helpline" in to_author["body"].lower()
    permalink = "https://www.reddit.com" + crisis["data"]["permalink"]
    assert permalink in to_author["body"]
    to_moderators = by_recipient[USERNAME]  # the bot, a moderator: an internal moderators' discussion
    assert to_moderators["subject"].startswith("[Haven urgent] Crisis")
    assert decision["id"] in to_moderators["body"]
    assert permalink in to_moderators["body"]
    # People first: no public reply, no removal. Every request matched a recording.
    assert reddit.api_requests("/api/comment/") == []
    assert reddit.api_requests("/api/remove/") == []
    assert reddit.requests
    assert reddit.unmatched == []
    # Logs of the API, the worker and the poller carry ids, never the member's words.
    for text in [log.read_text(errors="replace") for log in haven.logs] + haven.poller_output:
        assert "goodbye everyone" not in text
        assert "test-access-token" not in text


def alerted_in_modmail(haven: Haven, serial: int, item_id: str) -> tuple[str, str]:
    """A crisis comment polled and escalated: its decision id and its alert's modmail conversation."""
    from haven_reddit.actions import alert_key

    from tests.integration.harness import wait_until

    comments = haven.reddit.feed("comments", SUBREDDIT)
    comments.publish()
    haven.poll()
    crisis = clone(comments.visible()[0], serial, body=CRISIS, author=MEMBER, item_id=item_id)
    comments.push(crisis)
    haven.poll()
    decision_id: str = haven.decision(decision_id_of(haven.community, crisis["data"]["name"]))["decision"]["id"]
    conversation: str = wait_until(lambda: haven.kv.get(alert_key(decision_id)))
    return decision_id, conversation


def test_a_moderators_modmail_replies_become_an_acknowledgement_and_a_review(haven: Haven) -> None:
    """The proof the moderators' loop closes on Reddit: `!haven ack` and `!haven overturn` in the
    alert's conversation, read by `haven plugins reddit poll --once`, recorded by Haven."""
    reddit = haven.reddit
    decision_id, conversation = alerted_in_modmail(haven, 2, f"zy{RUN}")

    reddit.modmail.reply(conversation, "kind_heron", "!haven ack")
    assert haven.poll()["commands"] == 1
    # Recorded as that moderator's: a later acknowledgement through the API does not replace it.
    again = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.json()["acknowledged_by"] == "reddit:kind_heron"

    reddit.modmail.reply(conversation, "passer_by", "!haven uphold", is_mod=False)
    reddit.modmail.reply(conversation, "kind_heron", "!haven overturn quoting a film, checked with her")
    summary = haven.poll()
    assert (summary["commands"], summary["refused"]) == (1, 1)
    (review,) = haven.decision(decision_id)["reviews"]
    assert (review["outcome"], review["moderator"], review["note"]) == (
        "overturned",
        "reddit:kind_heron",
        "quoting a film, checked with her",
    )
    assert haven.poll()["commands"] == 0  # never twice
    answers = reddit.modmail.replies_by(conversation, USERNAME)
    assert [a.split(" ", 2)[:2] for a in answers[1:]] == [
        ["Acknowledged", "by"],
        ["u/passer_by:", "only"],
        ["Overturned", "by"],
    ]
    assert reddit.unmatched == []


def test_an_acknowledgement_through_the_api_is_said_once_in_the_alerts_modmail(haven: Haven) -> None:
    from tests.integration.harness import wait_until

    reddit = haven.reddit
    decision_id, conversation = alerted_in_modmail(haven, 3, f"zx{RUN}")

    first = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-alex"})
    assert first.status_code == 200, first.text
    said = wait_until(lambda: reddit.modmail.replies_by(conversation, USERNAME)[1:])
    assert len(said) == 1 and said[0].startswith("Acknowledged by mod-alex at ")
    # A second acknowledgement is not the first: Haven tells no plugin, and the worker has
    # nothing to say. Its moderator's `!haven ack` is answered as before, nothing more.
    again = haven.api.post(f"/v1/decisions/{decision_id}/acknowledge", json={"moderator": "mod-later"})
    assert again.json()["acknowledged_by"] == "mod-alex"
    reddit.modmail.reply(conversation, "kind_heron", "!haven ack")
    assert haven.poll()["commands"] == 1
    answers = reddit.modmail.replies_by(conversation, USERNAME)[1:]
    assert [a.split(" ", 3)[:3] for a in answers] == [
        ["Acknowledged", "by", "mod-alex"],
        ["Acknowledged", "by", "u/kind_heron:"],
    ]
    assert reddit.unmatched == []


def test_a_review_through_the_api_acknowledges_and_is_said_once_in_the_alerts_modmail(haven: Haven) -> None:
    """Reviewing an escalation nobody acknowledged is its acknowledgement (reminders stop); the
    alert's conversation is told, as for an acknowledgement made elsewhere."""
    from tests.integration.harness import wait_until

    reddit = haven.reddit
    decision_id, conversation = alerted_in_modmail(haven, 4, f"zw{RUN}")

    reviewed = haven.api.post(f"/v1/decisions/{decision_id}/review", json={"outcome": "upheld", "moderator": "mod-sam"})
    assert reviewed.status_code == 201, reviewed.text
    said = wait_until(lambda: reddit.modmail.replies_by(conversation, USERNAME)[1:])
    assert len(said) == 1 and said[0].startswith("Acknowledged by mod-sam at ")
    # A second review acknowledges nothing more.
    haven.api.post(f"/v1/decisions/{decision_id}/review", json={"outcome": "overturned", "moderator": "mod-kim"})
    wait_until(lambda: len(haven.api.get(f"/v1/decisions/{decision_id}").json()["reviews"]) == 2)
    assert len(reddit.modmail.replies_by(conversation, USERNAME)[1:]) == 1
