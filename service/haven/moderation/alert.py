"""The one moderators' alert every plugin sends: what happened, why, what to do, where to act.

`render_alert` turns a decision into an `Alert`, a typed value with no markup in it; a plugin
only translates it to its platform's format (Block Kit, Markdown, modmail). The member's words
are kept as plain `Segment`s with the matched words marked, so each format escapes them its own
way (`markdown_words` here for Markdown platforms): an alert never lets a post's text become a
link, a mention or formatting in the moderators' channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from haven.domain import SEVERITY_RANK, Action, Decision, Match
from haven.policy.templates import Templates

# Around each matched span, this many characters of the post are shown when the plugin hands
# the post's text over (a moderator reads the matched words in their sentence).
CONTEXT_CHARS = 60
# An alert is for a person: a handful of spans says why; the console shows them all.
MAX_EVIDENCE = 5
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Segment:
    """A piece of the member's words; `marked` when these are words a rule matched."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class EvidenceLine:
    """One place in the post that made rules match, with the words around it when known."""

    field: str
    segments: tuple[Segment, ...]
    rules: tuple[str, ...]  # qualified ids (policy/rule) of the rules that matched here
    category: str
    severity: str


@dataclass(frozen=True)
class RuleRef:
    id: str  # policy/rule
    name: str  # the first clause of the rule's description (else its id): a short name for titles
    category: str
    severity: str
    description: str = ""  # the rule's whole description


NAME_LIMIT = 80


def rule_name(description: str, rule_id: str) -> str:
    text = _flat(description).strip()
    if not text:
        return rule_id
    clause = re.split(r"(?<=[a-z0-9)])[.:;](?:\s|$)", text, maxsplit=1)[0].strip()
    return clause if len(clause) <= NAME_LIMIT else clause[: NAME_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True)
class CrisisContact:
    name: str
    contact: str
    hours: str | None = None
    url: str | None = None

    @property
    def line(self) -> str:
        return f"{self.name}: {self.contact}" + (f" ({self.hours})" if self.hours else "")


@dataclass(frozen=True)
class AlertLinks:
    """Where to act: the API routes (POST with a `review`-scoped key) and the console page."""

    decision: str
    review: str
    acknowledge: str
    console: str


@dataclass(frozen=True)
class Alert:
    decision_id: str
    community: str
    title: str
    verdict: str
    category: str  # the most severe match's category
    severity: str  # the most severe match's severity ("" when nothing matched)
    urgent: bool  # the decision escalated: someone should look now, and acknowledge it
    crisis: bool  # ... and it is about a member's own safety
    priority: str | None  # the escalation's priority (urgent, high, normal)
    rules: tuple[RuleRef, ...]
    evidence: tuple[EvidenceLine, ...]
    more_evidence: int  # spans left out of `evidence` (see the console)
    thread: tuple[str, ...]  # what the conversation shows, in ids and counts (no text)
    quoted: tuple[str, ...]  # categories found only in text the author quoted
    done: tuple[str, ...]  # what Haven already did, in words
    suggested: str  # what the moderator should do now, in words
    crisis_lines: tuple[CrisisContact, ...]  # to offer the member, where the policy says so
    post_url: str | None
    author_id: str
    links: AlertLinks

    @property
    def rule_names(self) -> str:
        return ", ".join(f"{r.name} ({r.id})" if r.name != r.id else r.id for r in self.rules)


# --------------------------------------------------------------------------- building


def is_urgent(decision: Decision) -> bool:
    return decision.verdict == "escalate" or any(a.kind == "escalate" for a in decision.actions)


def is_crisis(decision: Decision) -> bool:
    return is_urgent(decision) and any(_crisis_category(m.category) for m in decision.matches)


def _crisis_category(category: str) -> bool:
    return category == "crisis" or category.startswith("crisis.")


def _strongest(matches: Sequence[Match]) -> Match | None:
    return max(matches, key=lambda m: SEVERITY_RANK[m.severity], default=None)


def offers_crisis_lines(decision: Decision, templates: Mapping[str, Mapping[str, str]]) -> bool:
    """The policy says to offer crisis lines: an action of the decision writes to the member with
    a template that carries `{crisis_lines}`."""
    for action in decision.actions:
        variants = templates.get(str(action.params.get("template") or ""), {})
        if any("{crisis_lines}" in text for text in variants.values()):
            return True
    return False


def alert_for(
    decision: Decision,
    links: Mapping[str, str],
    templates: Templates,
    *,
    locale: str | None = None,
    text: Mapping[str, str] | None = None,
) -> Alert:
    """The alert with the crisis lines of the decision's policy set (for `locale`'s region)
    when the policy offers them to the member."""
    lines: list[CrisisContact] = []
    if offers_crisis_lines(decision, templates.by_name):
        lines = [CrisisContact(c.name, c.contact, c.hours, c.url) for c in templates.lines_for(locale)]
    return render_alert(decision, links, crisis_lines=lines, text=text)


def render_alert(
    decision: Decision,
    links: Mapping[str, str],
    *,
    crisis_lines: Sequence[CrisisContact] = (),
    text: Mapping[str, str] | None = None,
) -> Alert:
    """The alert for `decision`. `text` (field -> the post's text, optional) shows the matched
    words in their sentence; without it, the matched words alone."""
    urgent, crisis = is_urgent(decision), is_crisis(decision)
    strongest = _strongest(decision.matches)
    escalation = next((a for a in decision.actions if a.kind == "escalate"), None)
    rules = _rules(decision.matches)
    evidence, more = _evidence(decision.matches, text or {})
    return Alert(
        decision_id=decision.id,
        community=decision.post.community,
        title=_title(decision, urgent, crisis, rules),
        verdict=decision.verdict,
        category=strongest.category if strongest else "",
        severity=strongest.severity if strongest else "",
        urgent=urgent,
        crisis=crisis,
        priority=str(escalation.params.get("priority") or "normal") if escalation else None,
        rules=rules,
        evidence=evidence,
        more_evidence=more,
        thread=tuple(decision.conversation_lines),
        quoted=tuple(sorted({m.category for m in decision.quoted_matches})),
        done=tuple(_done(decision.actions)),
        suggested=suggested_action(decision, crisis=crisis, offers_lines=bool(crisis_lines)),
        crisis_lines=tuple(crisis_lines),
        post_url=decision.post.url,
        author_id=decision.post.author_id,
        links=AlertLinks(
            decision=links["decision"],
            review=links["review"],
            acknowledge=links["acknowledge"],
            console=links["console"],
        ),
    )


def _rules(matches: Sequence[Match]) -> tuple[RuleRef, ...]:
    ordered = sorted(matches, key=lambda m: -SEVERITY_RANK[m.severity])
    seen: dict[str, RuleRef] = {}
    for m in ordered:
        rule_id = f"{m.policy}/{m.rule}"
        name = rule_name(m.description, rule_id)
        seen.setdefault(rule_id, RuleRef(rule_id, name, m.category, m.severity, _flat(m.description).strip()))
    return tuple(seen.values())


def _title(decision: Decision, urgent: bool, crisis: bool, rules: Sequence[RuleRef]) -> str:
    what = rules[0].name if rules else (decision.conversation_lines[:1] or [decision.verdict])[0]
    if crisis:
        lead = "Crisis: a member may need help now"
    elif urgent:
        lead = "Urgent: a moderator is needed now"
    else:
        lead = {
            "remove": "Removed, please check",
            "hold": "Held until a moderator looks",
        }.get(decision.verdict, "A post needs a moderator")
    return f"{lead} — {what}"


@dataclass
class _Span:
    field: str
    start: int
    end: int
    text: str
    matches: list[Match]


def _evidence(matches: Sequence[Match], text: Mapping[str, str]) -> tuple[tuple[EvidenceLine, ...], int]:
    """One line per stretch of matched words: overlapping spans (rules matching the same or
    overlapping words) share one line. Most severe first, then in the post's order."""
    spans: list[_Span] = []
    for m in matches:
        spans += [_Span(e.field, e.start, e.end, e.text, [m]) for e in m.evidence]
    spans.sort(key=lambda s: (s.field, s.start, s.end))
    merged: list[_Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if last is not None and span.field == last.field and span.start < last.end:
            joined = _join(last, span)
            if joined is not None:
                merged[-1] = joined
                continue
        merged.append(span)
    lines = []
    for span in merged:
        ranked = sorted(span.matches, key=lambda m: -SEVERITY_RANK[m.severity])
        lines.append(
            EvidenceLine(
                field=span.field,
                segments=_segments(span.text, text.get(span.field), span.start, span.end),
                rules=tuple(dict.fromkeys(f"{m.policy}/{m.rule}" for m in ranked)),
                category=ranked[0].category,
                severity=ranked[0].severity,
            )
        )
    lines.sort(key=lambda line: -SEVERITY_RANK[line.severity])  # stable: the post's order within
    return tuple(lines[:MAX_EVIDENCE]), max(0, len(lines) - MAX_EVIDENCE)


def _join(a: _Span, b: _Span) -> _Span | None:
    """Two overlapping spans as one, its words pieced together from both; None when a snippet
    is not the span's length (a protected name masked in it), which cannot be pieced."""
    if len(a.text) != a.end - a.start or len(b.text) != b.end - b.start:
        return None
    end = max(a.end, b.end)
    words = a.text + b.text[a.end - b.start :] if b.end > a.end else a.text
    return _Span(a.field, a.start, end, words, a.matches + b.matches)


def _flat(text: str) -> str:
    """One line: a post's line breaks and runs of spaces are one space in an alert."""
    return _SPACE.sub(" ", text)


def _segments(words: str, source: str | None, start: int, end: int) -> tuple[Segment, ...]:
    # The evidence's own text is what the engine showed (protected names masked): the words
    # around it come from the post only when the offsets still point at the same words.
    if source is None or source[start:end] != words:
        return (Segment(_flat(words).strip(), marked=True),)
    before = source[max(0, start - CONTEXT_CHARS) : start]
    after = source[end : end + CONTEXT_CHARS]
    segments = []
    if before:
        segments.append(Segment(("…" if start > CONTEXT_CHARS else "") + _flat(before).lstrip()))
    segments.append(Segment(_flat(words), marked=True))
    if after:
        segments.append(Segment(_flat(after).rstrip() + ("…" if end + CONTEXT_CHARS < len(source) else "")))
    return tuple(s for s in segments if s.text)


def _done(actions: Sequence[Action]) -> list[str]:
    said = {
        "remove": "removed the post",
        "hold": "hid the post until a moderator looks",
        "lock": "locked the post",
        "silence": "silenced the author",
        "label": "labelled the post",
    }
    done: dict[str, None] = {}  # in order, each once (two labels are one "labelled")
    for action in actions:
        if action.kind in said:
            done[f"Haven {said[action.kind]}."] = None
        elif action.kind in ("reply", "notify_author") and (action.target == "author" or action.params.get("private")):
            done["Haven sent the member a private message" + _template(action) + "."] = None
        elif action.kind == "reply":
            done["Haven replied in the thread" + _template(action) + "."] = None
    return list(done)


def _template(action: Action) -> str:
    template = str(action.params.get("template") or "")
    return f" ({template})" if template else ""


def suggested_action(decision: Decision, *, crisis: bool, offers_lines: bool) -> str:
    """What the moderator should do, in words (not the verdict said again)."""
    kinds = {a.kind for a in decision.actions}
    if crisis:
        reach = "reach out to the member privately"
        if offers_lines:
            reach += " and offer the crisis lines below"
        return (
            f"Read the post now and {reach}. If they may be in immediate danger, follow your community's "
            "emergency procedure. Acknowledge this alert so the reminders stop and others know someone is on it."
        )
    if decision.verdict == "escalate" or "escalate" in kinds:
        return (
            "Look at this now: decide whether anyone is at risk and whether the author needs a word or a ban. "
            "Acknowledge this alert once someone is on it; uphold or overturn once decided."
        )
    if "remove" in kinds:
        return "Check the removal: uphold it if the post breaks the rule, overturn it to restore the post."
    if "hold" in kinds:
        return "The post stays hidden until you decide: uphold to keep it down, overturn to make it visible again."
    if decision.conversation_lines:
        return "Read the thread: step in if members are piling on, then uphold or overturn this flag."
    return "Read the post: uphold if it breaks the rule, overturn if it does not."


# --------------------------------------------------------------------------- Markdown


def code_span(text: str) -> str:
    """`text` as a Markdown code span: inside one, CommonMark (Discourse, Reddit) makes no link,
    mention, hashtag, emphasis or HTML, whatever the text says. Longer fences than any run of
    backticks in the text, and one space of padding, keep a backtick from closing it."""
    flat = _flat(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    if flat.startswith(("`", " ")) or flat.endswith(("`", " ")):
        flat = f" {flat} "
    return f"{fence}{flat}{fence}" if flat.strip() else ""


def markdown_words(segments: Sequence[Segment]) -> str:
    """A member's words for a Markdown platform: each piece a code span, the matched ones bold."""
    parts = []
    for segment in segments:
        span = code_span(segment.text)
        if span:
            parts.append(f"**{span}**" if segment.marked else span)
    return " ".join(parts)


# What could start markup anywhere in a line (our own text never starts a line in an alert).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~@&])")


def markdown_plain(text: str) -> str:
    """Text of ours that may carry a name from elsewhere (a rule name, a username): backslash-
    escaped so it renders as written, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _flat(text))


def markdown(
    alert: Alert, *, commands: Sequence[str] = (), author: str | None = None, quoted_from: str | None = None
) -> str:
    """The alert as Markdown (Discourse posts, Reddit modmail): the same text on both, with the
    platform's own way to act (`commands`) listed after the links. `author` and `quoted_from`
    are the platform's own Markdown naming the author and whom they quoted (`@name`, `u/name`)."""
    lines = [f"**{markdown_plain(alert.title)}**", ""]
    where = f"[the post]({alert.post_url})" if alert.post_url and _safe_url(alert.post_url) else "the post"
    lines.append(
        f"Community {markdown_plain(alert.community)} · {where} {author or 'by ' + markdown_plain(alert.author_id)} · "
        f"category {markdown_plain(alert.category or alert.verdict)}"
        + (f", severity {alert.severity}" if alert.severity else "")
        + (f", priority {alert.priority}" if alert.priority else "")
    )
    lines += [
        "",
        "**Rules:**",
        *(f"- {markdown_plain(r.name)} ({markdown_plain(r.id)}, {r.severity})" for r in alert.rules),
    ]
    if alert.evidence:
        lines += ["", "**Evidence** (the matched words in bold):"]
        lines += [f"- {markdown_words(e.segments)}" for e in alert.evidence]
        if alert.more_evidence:
            lines.append(f"- and {alert.more_evidence} more in the console")
    if alert.thread:
        lines += ["", "**In this thread:**", *(f"- {markdown_plain(t)}" for t in alert.thread)]
    if alert.quoted:
        source = f", from {quoted_from}" if quoted_from else ""
        categories = markdown_plain(", ".join(alert.quoted))
        lines += ["", f"Also quoted (not the author's own words{source}): {categories}"]
    if alert.done:
        lines += ["", *alert.done]
    lines += ["", f"**What to do:** {alert.suggested}"]
    if alert.crisis_lines:
        lines += ["", "**Crisis lines to offer:**", *(f"- {markdown_plain(c.line)}" for c in alert.crisis_lines)]
    lines += [
        "",
        f"Review in the [console]({alert.links.console}) · API: POST {alert.links.review}"
        + (f" · POST {alert.links.acknowledge}" if alert.urgent else ""),
    ]
    if commands:
        lines += ["", *commands]
    lines += ["", f"Decision {alert.decision_id}"]
    return "\n".join(lines)


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(c in url for c in " ()<>[]\n")
