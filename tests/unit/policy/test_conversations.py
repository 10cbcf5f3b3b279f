"""Conversation matchers: the default pack's rules judged over threads, with the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from haven.domain import Author, Decision, Post
from haven.policy import InMemoryConversationStore, PolicySet, evaluate, load_policy_set
from haven.policy.conversations import TURN_ENCODER, Turn

from .conftest import NOW
from .test_loader_errors import errors_of

PACK = Path(__file__).resolve().parents[3] / "policies"

HOSTILE = ["Get a life, loser.", "Nobody asked for your sob story, drama queen.", "Shut up, you're pathetic."]
KIND = "That sounds so hard. I'm glad you posted, we're here with you."


@pytest.fixture(scope="module")
def pack() -> PolicySet:
    return load_policy_set(PACK)


class Thread:
    """Posts judged one after another, a minute apart, with one conversation store."""

    def __init__(self, policy_set: PolicySet, store: InMemoryConversationStore | None = None) -> None:
        self.policy_set = policy_set
        self.store = store or InMemoryConversationStore()
        self.minutes = 0

    def say(
        self, post_id: str, author: str, body: str, *, parent: str | None = None, thread: str = "t1",
        platform: str = "test",
    ) -> Decision:  # fmt: skip
        self.minutes += 1
        post = Post(
            platform=platform, community="support", external_id=post_id, author=Author(id=author), body=body,
            thread_id=thread, parent_id=parent,
        )  # fmt: skip
        return evaluate(self.policy_set, post, now=NOW + timedelta(minutes=self.minutes), conversations=self.store)


def rules(decision: Decision) -> list[str]:
    return [m.rule for m in decision.matches]


def test_three_members_hostile_to_one_member_is_a_pile_on_on_the_third_reply_only(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Flare day again, can barely get out of bed.")
    first = thread.say("r1", "ann", HOSTILE[0], parent="p1")
    second = thread.say("r2", "bob", HOSTILE[1], parent="p1")
    third = thread.say("r3", "cat", HOSTILE[2], parent="p1")
    assert "pile-on" not in rules(first) and "pile-on" not in rules(second)
    assert "pile-on" in rules(third)
    [found] = next(m for m in third.matches if m.rule == "pile-on").conversation
    assert found.dynamic == "pile_on" and found.member == "sam" and found.authors == 3
    assert found.decisions == [first.id, second.id]
    kinds = {a.kind for a in third.actions}
    # The moderators are told and the replier nudged; the pile-on removes nobody.
    assert {"flag_for_review", "notify_author"} <= kinds and "remove" not in kinds
    nudge = next(a for a in third.actions if a.params.get("template") == "pile-on-nudge")
    assert nudge.target == "author"


def test_the_same_three_replies_to_three_members_are_no_pile_on(pack: PolicySet) -> None:
    thread = Thread(pack)
    for member, root in (("sam", "p1"), ("tia", "p2"), ("uma", "p3")):
        thread.say(root, member, "Rough week, anyone else?")
    decisions = [
        thread.say(f"r{n}", author, HOSTILE[n], parent=f"p{n + 1}") for n, author in enumerate(("ann", "bob", "cat"))
    ]
    assert all("pile-on" not in rules(d) for d in decisions)
    assert all("hostility" in rules(d) for d in decisions)


def test_one_member_replying_three_times_is_not_three_members(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Flare day again.")
    decisions = [thread.say(f"r{n}", "ann", HOSTILE[n], parent="p1") for n in range(3)]
    assert all("pile-on" not in rules(d) for d in decisions)


def test_a_kind_reply_after_two_hostile_ones_completes_nothing(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Flare day again.")
    thread.say("r1", "ann", HOSTILE[0], parent="p1")
    thread.say("r2", "bob", HOSTILE[1], parent="p1")
    kind = thread.say("r3", "cat", KIND, parent="p1")
    assert kind.matches == [] and kind.verdict == "allow"


def test_hostile_replies_older_than_the_window_do_not_count(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Flare day again.")
    thread.say("r1", "ann", HOSTILE[0], parent="p1")
    thread.minutes += 25 * 60  # the pile-on rule looks back 24h
    thread.say("r2", "bob", HOSTILE[1], parent="p1")
    assert "pile-on" not in rules(thread.say("r3", "cat", HOSTILE[2], parent="p1"))


def test_hostility_in_reply_to_a_member_in_crisis_escalates_and_support_never_does(pack: PolicySet) -> None:
    thread = Thread(pack)
    crisis = thread.say("c1", "mia", "I can't do this anymore. I'm going to end my life tonight.")
    assert crisis.verdict == "escalate"
    support = thread.say("s1", "ann", "Mia, please stay with us. Can you call or text 988 right now?", parent="c1")
    assert "hostile-reply-to-crisis" not in rules(support)
    hostile = thread.say("h1", "bob", "Stop faking it for attention, nobody cares about your sob story.", parent="c1")
    assert hostile.verdict == "escalate"
    assert "hostile-reply-to-crisis" in rules(hostile)
    [found] = next(m for m in hostile.matches if m.rule == "hostile-reply-to-crisis").conversation
    assert found.member == "mia" and found.decisions == [crisis.id]


def test_the_same_hostility_to_a_member_not_in_crisis_is_held_not_escalated(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "mia", "Does anyone else get flares in the cold?")
    hostile = thread.say("h1", "bob", "Stop faking it for attention, nobody cares about your sob story.", parent="p1")
    assert hostile.verdict == "hold"


def test_a_member_hostile_to_crisis_posts_in_two_threads_is_held_as_targeting(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("c1", "mia", "I'm going to end my life tonight.", thread="t1")
    first = thread.say("h1", "troll", "Nobody cares, drama queen.", parent="c1", thread="t1")
    thread.say("c2", "leo", "I want to kill myself, I have the pills ready.", thread="t2")
    second = thread.say("h2", "troll", "Get a life, loser.", parent="c2", thread="t2")
    assert "targets-members-in-crisis" not in rules(first)
    assert "targets-members-in-crisis" in rules(second)
    assert {a.kind for a in second.actions} >= {"hold", "escalate"}


def test_a_member_who_supports_several_people_in_crisis_is_not_targeting(pack: PolicySet) -> None:
    thread = Thread(pack)
    for n, member in enumerate(("mia", "leo", "ivy")):
        thread.say(f"c{n}", member, "I'm going to end my life tonight.", thread=f"t{n}")
        kind = thread.say(f"k{n}", "helper", KIND + " Please text 988.", parent=f"c{n}", thread=f"t{n}")
        assert kind.matches == []


def test_a_pain_competition_between_members_flags_the_thread_and_penalises_nobody(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "My back has been bad all week.")
    thread.say("r1", "ann", "You think that's bad? My pain is way worse than yours.", parent="p1")
    thread.say("r2", "bob", "At least you can walk. Some of us are in wheelchairs.", parent="r1")
    third = thread.say("r3", "ann", "Try living with CRPS and then tell me about pain.", parent="r2")
    assert "pain-competition-thread" in rules(third)
    assert {a.kind for a in third.actions} <= {"notify_author", "label", "flag_for_review"}
    assert third.verdict == "review"


def test_one_member_venting_in_several_posts_is_not_a_spiral(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Six specialists and nothing ever helps. What's the point.")
    thread.say("r1", "ann", KIND, parent="p1")
    thread.say("r2", "sam", "It only gets worse every winter, I've given up hope.", parent="r1")
    thread.say("r3", "bob", "Sending you strength, the pain clinic helped me a little.", parent="r2")
    last = thread.say("r4", "sam", "Honestly why bother, nothing works.", parent="r3")
    assert "hopelessness-spiral" not in rules(last)
    assert last.verdict == "allow"


def test_a_thread_circling_into_hopelessness_across_members_is_flagged(pack: PolicySet) -> None:
    thread = Thread(pack)
    thread.say("p1", "sam", "Six specialists and nothing ever helps. What's the point.")
    thread.say("r1", "ann", "Same. It only gets worse every year, I've given up hope.", parent="p1")
    thread.say("r2", "bob", "Doctors don't care. We're all doomed to this.", parent="r1")
    last = thread.say("r3", "cat", "Honestly why bother, nothing works for any of us.", parent="r2")
    assert "hopelessness-spiral" in rules(last)
    assert last.verdict == "review"


def test_nothing_the_store_keeps_holds_post_text(pack: PolicySet) -> None:
    store = InMemoryConversationStore()
    thread = Thread(pack, store)
    texts = ["Flare day again, can barely get out of bed.", *HOSTILE]
    thread.say("p1", "sam", texts[0])
    for n, text in enumerate(HOSTILE):
        thread.say(f"r{n}", f"member-{n}", text, parent="p1")
    kept = store.thread("support", "test", "t1") + store.replies_by("support", "test", "member-0")
    assert len(kept) == 5
    encoded = b"".join(TURN_ENCODER.encode(turn) for turn in kept).decode("utf-8", "replace").lower()
    for text in texts:
        for word in text.lower().replace(",", "").replace(".", "").split():
            if len(word) > 4:
                assert word not in encoded, word
    assert set(Turn.__struct_fields__) == {
        "post", "revision", "platform", "thread", "author", "at", "verdict", "categories", "parent",
        "parent_author", "parent_verdict", "parent_categories",
    }  # fmt: skip


def test_a_post_judged_again_is_recorded_once_and_never_counts_against_itself(pack: PolicySet) -> None:
    store = InMemoryConversationStore()
    thread = Thread(pack, store)
    thread.say("p1", "sam", "Flare day again.")
    thread.say("r1", "ann", HOSTILE[0], parent="p1")
    thread.say("r2", "bob", HOSTILE[1], parent="p1")
    again = thread.say("r2", "bob", HOSTILE[1], parent="p1")
    assert "pile-on" not in rules(again)
    assert [t.post for t in store.thread("support", "test", "t1")] == ["p1", "r1", "r2"]


def test_the_in_memory_store_is_bounded_in_threads_turns_and_time() -> None:
    store = InMemoryConversationStore(keep_seconds=3600, max_threads=2)

    def turn(post: str, thread: str, at: float) -> Turn:
        return Turn(post=post, revision="1", platform="p", thread=thread, author="a", at=at, verdict="allow")

    for n in range(3):
        store.record("c", turn(f"x{n}", f"t{n}", 1000.0 + n))
    assert store.thread("c", "p", "t0") == [] and len(store.thread("c", "p", "t2")) == 1
    store.record("c", turn("late", "t2", 1000.0 + 7200))
    assert [t.post for t in store.thread("c", "p", "t2")] == ["late"]
    for n in range(600):
        store.record("c", turn(f"many{n}", "big", 5000.0 + n))
    kept = store.thread("c", "p", "big")
    assert len(kept) == 500 and kept[0].post == "many100"


def test_without_a_conversation_store_the_conversation_rules_stay_silent(pack: PolicySet) -> None:
    post = Post(platform="test", community="support", external_id="x", author=Author(id="a"), body=HOSTILE[0],
                thread_id="t1", parent_id="p1")  # fmt: skip
    decision = evaluate(pack, post, now=NOW)
    assert "hostility" in rules(decision)
    assert not [m for m in decision.matches if m.policy == "conversations"]


def test_turns_are_compact_msgpack_without_field_names() -> None:
    turn = Turn(post="r1", revision="1", platform="reddit", thread="t3_x", author="ann", at=1.0, verdict="hold",
                categories=("community.hostility",), parent="t3_x", parent_author="sam")  # fmt: skip
    encoded = TURN_ENCODER.encode(turn)
    assert b"parent_author" not in encoded and len(encoded) < 80
    assert msgspec.msgpack.decode(encoded, type=Turn) == turn


# --- loading ---------------------------------------------------------------------


def test_bad_conversation_matchers_are_reported_with_line_and_column(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: a
            category: community.pile-on
            severity: medium
            match:
              pile_on: {category: Community.Hostility, authors: 0, within: soon}
            actions: [flag_for_review]
          - id: b
            category: community.x
            severity: high
            match:
              replies_to: {}
            actions: [escalate]
          - id: c
            category: community.y
            severity: high
            match:
              author_replies: {to: {verdict: escalated}, at_least: 2, within: 7d}
            actions: [hold]
          - id: d
            category: community.z
            severity: low
            match:
              thread: {category: community.competition, posts: 3, within: 1d, author: 2}
            actions: [flag_for_review]
        """,
    )
    assert errors[:3] == [
        "bad.yaml:7:27: category 'Community.Hostility' must be dotted lower case, e.g. community.hostility",
        "bad.yaml:7:57: authors must be 1 or more",
        "bad.yaml:7:68: 'soon' is not a duration (hint: write e.g. 30m, 24h or 7d)",
    ]
    assert errors[3] == ("bad.yaml:13:19: say which posts count: a 'category', a 'verdict' (at least), or both")
    assert errors[4] == (
        "bad.yaml:19:38: expected one of 'allow', 'nudge', 'review', 'hold', 'remove', 'escalate', got 'escalated' "
        "(hint: did you mean 'escalate'?)"
    )
    assert errors[5] == "bad.yaml:25:71: unknown key 'author' (hint: did you mean 'authors'?)"


def test_an_example_replying_to_a_post_outside_its_context_is_an_error(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        id: p
        rules:
          - id: a
            category: community.crisis-hostility
            severity: high
            match:
              replies_to: {verdict: escalate}
            actions: [escalate]
            examples:
              match:
                - text: "hi"
                  parent: c9
                  context:
                    - {id: c1, author: mia, verdict: escalate}
                    - {id: r1, author: bob, parent: c0}
        """,
    )
    assert errors == [
        "bad.yaml:12:19: 'c9' is not a post of this example's context "
        "(hint: add it to 'context' with its author, categories and verdict)",
        "bad.yaml:15:45: 'c0' is not an earlier post of this example's context",
    ]


def test_policy_test_fails_an_example_whose_context_does_not_make_the_rule_fire(
    tmp_path: Path, policy_set: Callable[[str], PolicySet]
) -> None:
    from haven.policy.examples import run_examples

    loaded = policy_set(
        """\
        id: p
        rules:
          - id: pile
            category: community.pile-on
            severity: medium
            match:
              pile_on: {category: community.hostility, authors: 2, within: 1h}
            actions: [flag_for_review]
            examples:
              match:
                - text: "anything"
                  parent: p1
                  context:
                    - {id: p1, author: sam}
                    - {id: r1, author: ann, parent: p1, categories: [community.hostility]}
        """
    )
    count, failures = run_examples(loaded)
    # This post matches no hostility rule of its own, so it does not join the pile-on.
    assert count == 1 and len(failures) == 1 and "should match" in str(failures[0])


# --- the policy author's tools ----------------------------------------------------


def test_explain_judges_a_text_in_the_conversation_given_and_shows_what_the_thread_adds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from haven.cli.main import main

    context = tmp_path / "context.yaml"
    context.write_text(
        "- {id: p1, author: sam}\n"
        "- {id: r1, author: ann, parent: p1, categories: [community.hostility], verdict: hold}\n"
        "- {id: r2, author: bob, parent: p1, categories: [community.invalidation], verdict: nudge}\n"
    )
    args = ["policy", "explain", str(PACK), HOSTILE[0], "--author", "cat", "--parent", "p1", "--context", str(context)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fired: conversations/pile-on" in out
    assert "in this thread: 3 members replied this way to member sam in this thread" in out
    assert main([*args[:4], "--author", "cat", "--parent", "p1"]) == 0
    assert "conversations/pile-on" not in capsys.readouterr().out.split("not fired")[0]


def test_explain_reports_a_bad_context_file_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from haven.cli.main import main

    context = tmp_path / "context.yaml"
    context.write_text("- {id: p1, autor: sam}\n")
    assert main(["policy", "explain", str(PACK), "hi", "--context", str(context)]) == 1
    assert "context.yaml:1:12: unknown key 'autor' (hint: did you mean 'author'?)" in capsys.readouterr().err


def test_backtest_judges_threads_with_the_conversation_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from haven.cli.main import main

    posts = [
        {"id": "p1", "thread_id": "t", "author": "sam", "created_at": "2026-03-01T10:00:00Z", "text": "Flare day."},
        *[
            {
                "id": f"r{n}",
                "thread_id": "t",
                "parent_id": "p1",
                "author": who,
                "text": HOSTILE[n],
                "created_at": f"2026-03-01T10:0{n + 1}:00Z",
            }
            for n, who in enumerate(("ann", "bob", "cat"))
        ],
    ]
    file = tmp_path / "thread.jsonl"
    file.write_text("".join(json.dumps(p) + "\n" for p in posts))
    assert main(["backtest", str(PACK), str(file)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert ["community.pile-on" in line["categories"] for line in lines] == [False, False, False, True]
    assert "community.pile-on" in captured.err
