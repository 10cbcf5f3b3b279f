"""The one moderators' alert: what it says, with the real engine's decisions from the shipped
policies, and the member's words kept inert in every format (Markdown, Slack mrkdwn)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from haven.domain import Author, Decision, Post
from haven.moderation.alert import (
    Segment,
    code_span,
    markdown,
    markdown_words,
    render_alert,
)
from haven.plugins.testing import RecordingHost
from haven.policy import evaluate, load_policy_set
from haven.policy.compiler import PolicySet
from haven_slack import alerts as slack
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[3]
CRISIS = "Honestly I'm going to end my life this weekend, I've written the notes already."
HOSTILE = "Get a life, loser."
LINKS = {
    "decision": "https://haven.example/v1/decisions/d",
    "review": "https://haven.example/v1/decisions/d/review",
    "acknowledge": "https://haven.example/v1/decisions/d/acknowledge",
    "console": "https://haven.example/console/#decision/d",
}


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policy_set(REPO / "policies")


def judge(policies: PolicySet, body: str, *, locale: str | None = None) -> tuple[Post, Decision]:
    post = Post(
        platform="api", community="peer-support", external_id=f"p-{abs(hash(body))}", revision="1",
        author=Author(id="u-member"), body=body, locale=locale, url="https://forum.example/p/1",
    )  # fmt: skip
    return post, evaluate(policies, post, now=datetime.now(UTC))


def html(text: str) -> str:
    return MarkdownIt("commonmark").render(text)


def test_a_crisis_alert_names_the_rule_marks_the_words_and_says_what_to_do(policies: PolicySet) -> None:
    post, decision = judge(policies, CRISIS, locale="en-GB")
    host = RecordingHost(policy_set=policies)

    alert = host.alert(decision, locale="en-GB", text={"body": post.body})

    assert decision.verdict == "escalate"
    assert alert.urgent and alert.crisis and alert.title.startswith("Crisis")
    strongest = max(decision.matches, key=lambda m: ["low", "medium", "high", "critical"].index(m.severity))
    assert alert.rules[0].id == f"{strongest.policy}/{strongest.rule}"
    assert alert.rules[0].name in alert.title  # the title names the rule
    assert alert.rules[0].name == "A plan with means or timing, an act in progress, or a goodbye"
    assert alert.rules[0].description == strongest.description.strip()
    assert (alert.category, alert.severity) == (strongest.category, strongest.severity)
    line = alert.evidence[0]
    marked = [s.text for s in line.segments if s.marked]
    assert marked and all(m in post.body for m in marked)
    # The words around the matched ones come from the post, unmarked.
    assert any(not s.marked and "Honestly" in s.text for s in line.segments)
    # What to do, in words: not the verdict said again.
    assert "reach out to the member" in alert.suggested and "escalate" not in alert.suggested.lower()
    # The policy sends the member crisis resources: the moderator is offered the same lines, of the region.
    assert any("Samaritans" in c.name for c in alert.crisis_lines)
    assert alert.links.acknowledge == "https://haven.example/v1/decisions/" + decision.id + "/acknowledge"
    assert alert.links.console.endswith(f"/console/#decision/{decision.id}")


def test_without_the_posts_text_the_evidence_is_the_matched_words_alone(policies: PolicySet) -> None:
    _, decision = judge(policies, CRISIS)
    alert = render_alert(decision, LINKS)
    assert all(len(e.segments) == 1 and e.segments[0].marked for e in alert.evidence)
    assert alert.crisis_lines == ()  # none given, none invented


def test_context_is_left_out_when_the_offsets_no_longer_point_at_the_words(policies: PolicySet) -> None:
    post, decision = judge(policies, CRISIS)
    alert = render_alert(decision, LINKS, text={"body": "something else entirely " + post.body})
    assert all(len(e.segments) == 1 for e in alert.evidence)


def test_a_removal_asks_to_check_it_and_offers_no_crisis_line(policies: PolicySet) -> None:
    _, decision = judge(policies, HOSTILE)
    alert = RecordingHost(policy_set=policies).alert(decision)
    assert decision.verdict in ("remove", "hold")
    assert not alert.crisis and not alert.crisis_lines
    assert "overturn" in alert.suggested
    assert alert.done  # Haven says what it already did


def test_rules_matching_the_same_words_share_one_evidence_line(policies: PolicySet) -> None:
    _, decision = judge(policies, CRISIS)
    match = decision.matches[0]
    twin = msgspec.structs.replace(match, rule=match.rule + "-twin")
    doubled = msgspec.structs.replace(decision, matches=[match, twin])
    alert = render_alert(doubled, LINKS)
    single = render_alert(msgspec.structs.replace(decision, matches=[match]), LINKS)
    assert len(alert.evidence) == len(single.evidence)
    assert alert.evidence[0].rules == (f"{match.policy}/{match.rule}", f"{match.policy}/{match.rule}-twin")


def test_overlapping_matches_are_one_stretch_of_marked_words(policies: PolicySet) -> None:
    post, decision = judge(policies, CRISIS)
    alert = render_alert(decision, LINKS, text={"body": post.body})
    spans = [(e.start, e.end) for m in decision.matches for e in m.evidence]
    assert len(spans) > len(alert.evidence)  # the engine's spans overlap here
    marked = [s.text for line in alert.evidence for s in line.segments if s.marked]
    assert marked == ["I'm going to end my life this weekend, I've written the notes"]
    assert set(alert.evidence[0].rules) == {f"{m.policy}/{m.rule}" for m in decision.matches if m.evidence}


HOSTILE_TEXTS = [
    "[click](http://evil.example)",
    "<http://evil.example>",
    '<a href="http://evil.example">x</a>',
    "![img](http://evil.example/p.png)",
    "`` code ` ticks ``",
    "**bold** _it_ # heading @moderators #general",
    "line one\n\n- item\n> quote",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_a_members_words_never_become_markdown_links_mentions_or_markup(text: str) -> None:
    rendered = html(markdown_words((Segment("before "), Segment(text, marked=True), Segment(" after"))))
    assert "<a " not in rendered and "<img" not in rendered and "<em>" not in rendered
    assert "<h1>" not in rendered and "<blockquote>" not in rendered and "<li>" not in rendered
    # Every one of the member's characters is shown, in code spans, the matched words bold.
    shown = "".join(re.findall(r"<code>(.*?)</code>", rendered, re.S))
    flat = " ".join(text.split())
    for word in flat.split(" "):
        escaped = word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        assert escaped in shown
    assert re.search(r"<strong><code>", rendered)


def test_a_code_span_outlasts_any_run_of_backticks() -> None:
    span = code_span("a ``` b ` c")
    assert span.startswith("````") and span.endswith("````")
    assert html(span).count("<code>") == 1


def test_the_whole_markdown_alert_carries_no_link_of_the_members(policies: PolicySet) -> None:
    _, decision = judge(policies, CRISIS)
    match = decision.matches[0]
    evidence = msgspec.structs.replace(match.evidence[0], text="[click](http://evil.example) @admins")
    hostile = msgspec.structs.replace(decision, matches=[msgspec.structs.replace(match, evidence=[evidence])])
    text = markdown(render_alert(hostile, LINKS), commands=["Reply `!haven ack`"])
    rendered = html(text)
    hrefs = re.findall(r'href="([^"]+)"', rendered)
    assert hrefs == ["https://forum.example/p/1", LINKS["console"]]
    assert "@admins</code>" in rendered


def test_slack_mrkdwn_keeps_a_members_words_from_pinging_or_linking() -> None:
    shown = slack.words((Segment("<!channel> <https://x.example|help> & "), Segment("end it", marked=True)))
    assert shown == "&lt;!channel&gt; &lt;https://x.example|help&gt; &amp; *end it*"
