"""Judges one post against a compiled policy set.

Pure and deterministic: the same post, policy set, counter history and
conversation state give the same decision. The only I/O is through the
`CounterStore` and the `ConversationStore` passed in.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from haven.domain import (
    ConversationEvidence,
    Decision,
    Evidence,
    Field,
    Match,
    ModelScore,
    Post,
    PostRef,
    Verdict,
)
from haven.policy import compiled
from haven.policy.actions import merge_actions
from haven.policy.compiler import (
    ClassifierLeaf,
    Combinator,
    CompiledRule,
    ConversationLeaf,
    CounterLeaf,
    DomainsLeaf,
    NearLeaf,
    Negation,
    Node,
    PhraseLeaf,
    PiiLeaf,
    PolicySet,
    ProtectedIdentityLeaf,
    RegexLeaf,
    ScoreLeaf,
    ThirdPartyLeaf,
)
from haven.policy.conversations import ConversationStore, any_category_in
from haven.policy.counters import CounterStore
from haven.policy.dynamics import ThreadContext
from haven.policy.identities import PROTECTED_MASK, IdentityLookup
from haven.policy.pii import url_host
from haven.policy.scan import PreparedText, Span, TextScan, prepare_text
from haven.policy.schema import WhenSpec
from haven.policy.templates import locale_parts

Hit = tuple[int, int, str]  # start, end (folded text), matcher label
SNIPPET_LIMIT = 280
# A model's evidence: the sentences that pushed its score up most, at most this many.
MODEL_EVIDENCE_SENTENCES = 2
# Posts prepared together by `evaluate_in_batches`, as many as a worker's task holds: batches
# of 100 judged real posts 9% and dense ones 16% faster than one by one (bench/README.md).
BATCH_SIZE = 100
_SENTENCE_BREAK = re.compile(r"[.!?;]")
_FIRST_PERSON_POSSESSIVES = frozenset(("my", "our"))


def _everyone(span: Span) -> bool:
    """The voice of a judge that keeps every hit: a post that quotes no one has one voice."""
    return True


class _Forgetful(dict[tuple[int, Span], bool]):
    """A memo that keeps nothing."""

    def __setitem__(self, key: tuple[int, Span], value: bool) -> None:
        pass


def _negating_hit_python(
    start: int, end: int, present: tuple[tuple[Negation, list[Span]], ...], starts: list[int], text: str
) -> Span | None:
    """The negation hit that negates the span [start, end) (`present`: each negation the post
    has, with its hits in order), or None. A negation before the span must end at most
    `within` words before it, one after must start at most `within` words after it, with no
    sentence break between; one that touches the span (ends where it starts, or starts where
    it ends) negates it whatever `within` says."""
    start_words = end_words = -1  # how many words start before `start` and `end`, once asked
    for negation, hits in present:
        # Hits are sorted by start: only the nearest negations either side can be in reach.
        # Indexes, not slices and lists of candidates: most spans have none in reach.
        if negation.before:
            index = bisect.bisect_left(hits, (start, start))
            for at in range(index - 3 if index > 3 else 0, index):
                n_end = hits[at][1]
                if n_end > start:
                    continue
                if n_end < start:
                    if start_words < 0:
                        start_words = bisect.bisect_left(starts, start)
                    if start_words - bisect.bisect_left(starts, n_end) > negation.within or _SENTENCE_BREAK.search(
                        text, n_end, start
                    ):
                        continue
                return hits[at]
        if negation.after:
            later = bisect.bisect_left(hits, (end, end))
            for at in range(later, min(later + 3, len(hits))):
                n_start = hits[at][0]
                if n_start > end:
                    if end_words < 0:
                        end_words = bisect.bisect_left(starts, end)
                    if bisect.bisect_left(starts, n_start) - end_words > negation.within or _SENTENCE_BREAK.search(
                        text, end, n_start
                    ):
                        continue
                return hits[at]
    return None


def _near_pairs_python(
    firsts: list[Span],
    first_starts: list[int],
    first_ends: list[int],
    seconds: list[Span],
    second_starts: list[int],
    second_ends: list[int] | None,
    within: int,
    reach: int,
) -> list[tuple[Span, Span, bool]]:
    """The pairs of a first and a second hit within `within` words of each other, in order,
    each once, as (earlier hit, later hit, whether the earlier is the first's). The lists of
    word indexes are the hits' (TextScan.start_words, end_words); without `second_ends` only
    second hits after a first count (an ordered rule). `reach`: how far back a second hit
    may start and still end within `within` words before a first (`within` and the longest
    phrase's words)."""
    # Word indexes make "within N words" arithmetic, and sorted starts let each first hit
    # look only at the second hits in reach, so dense posts stay linear-ish. Indexes, not
    # slices: a slice of the later hits for every first hit made long posts quadratic.
    pairs: set[tuple[Span, Span, bool]] = set()
    for a, before, after in zip(firsts, first_starts, first_ends, strict=True):
        a_start, a_end = a
        for index in range(bisect.bisect_left(seconds, (a_end, a_end)), len(seconds)):
            if second_starts[index] - after > within:
                break
            pairs.add((a, seconds[index], True))
        if second_ends is None:
            continue
        for index in range(bisect.bisect_left(seconds, (a_start, a_start)) - 1, -1, -1):
            b = seconds[index]
            if before - second_starts[index] > reach:
                break
            if b[1] <= a_start and before - second_ends[index] <= within:
                pairs.add((b, a, False))
    return sorted(pairs)


def _unnegated_python(
    spans: list[Span],
    present: tuple[tuple[Negation, list[Span]], ...],
    starts: list[int],
    text: str,
    known: dict[tuple[int, Span], bool],
    key: int,
) -> list[Span]:
    """The spans that no negation in `present` negates, in order; what each answered is kept
    in `known` under (key, span) and read from there when asked again."""
    kept = []
    for span in spans:
        answer = known.get((key, span))
        if answer is None:
            answer = known[key, span] = negating_hit(span[0], span[1], present, starts, text) is not None
        if not answer:
            kept.append(span)
    return kept


# The compiled twins where the extension is built (see haven.policy.compiled).
near_pairs: Callable[
    [list[Span], list[int], list[int], list[Span], list[int], list[int] | None, int, int],
    list[tuple[Span, Span, bool]],
] = compiled.core.near_pairs if compiled.core is not None else _near_pairs_python
negating_hit: Callable[[int, int, tuple[tuple[Negation, list[Span]], ...], list[int], str], Span | None] = (
    compiled.core.negating_hit if compiled.core is not None else _negating_hit_python
)
unnegated: Callable[
    [list[Span], tuple[tuple[Negation, list[Span]], ...], list[int], str, dict[tuple[int, Span], bool], int],
    list[Span],
] = compiled.core.unnegated if compiled.core is not None else _unnegated_python


class _Judge:
    """Evaluates rules over one scan, with a filter that keeps the hits of one voice."""

    def __init__(
        self,
        scan: TextScan,
        post: Post,
        now: datetime,
        counters: CounterStore | None,
        keep: Callable[[Span], bool],
        trace: list[str] | None,
        protected: list[Span] | None = None,
    ) -> None:
        self.scan = scan
        self.protected = protected or []
        self.post = post
        self.now = now
        self.counters = counters
        self.keep = keep
        self.trace = trace
        self._rule: CompiledRule | None = None
        # The conversation around the post, for the second pass; what its matchers found.
        self.thread: ThreadContext | None = None
        self.found: list[ConversationEvidence] = []
        self.scores: list[ModelScore] = []  # the model scores behind the current rule's match
        self._negations: dict[int, tuple[tuple[Negation, list[Span]], ...]] = {}
        self._negated: dict[tuple[int, Span], bool] = {} if trace is None else _Forgetful()

    def note(self, message: str) -> None:
        if self.trace is not None and self._rule is not None:
            self.trace.append(f"{self._rule.qualified_id}: {message}")

    def present(self, negations: tuple[Negation, ...]) -> tuple[tuple[Negation, list[Span]], ...]:
        """The negations whose phrases the post has, with their hits: looked up once a post."""
        found = self._negations.get(id(negations))
        if found is None:
            found = self._negations[id(negations)] = tuple(
                (negation, hits) for negation in negations if (hits := self.scan.hits(negation.group))
            )
        return found

    def negated(self, span: Span, negations: tuple[Negation, ...]) -> bool:
        # A proximity rule asks again of the same hit for each pair it is in: answered once
        # (not while tracing, so that every check still says what negated it).
        key = (id(negations), span)
        known = self._negated.get(key)
        if known is None:
            known = self._negated[key] = self._negated_now(span, negations)
        return known

    def _negated_now(self, span: Span, negations: tuple[Negation, ...]) -> bool:
        hit = negating_hit(span[0], span[1], self.present(negations), self.scan.word_starts, self.scan.norm.text)
        return hit is not None and self._negates(hit, span)

    def _negates(self, negation: Span, span: Span) -> bool:
        text = self.scan.norm.text
        self.note(f"'{text[negation[0] : negation[1]]}' negates '{text[span[0] : span[1]]}'")
        return True

    def kept(self, spans: list[Span], negations: tuple[Negation, ...]) -> list[Span]:
        """The spans kept: the voice this judge hears, not negated. Callers name the spans
        kept (the phrase or pattern that matched there) for evidence, and only those."""
        if not spans:
            return []
        if negations and not self.present(negations):
            negations = ()
        keep = self.keep
        if negations and self.trace is not None:
            # One at a time, so that every check says what negated it.
            negated = self.negated
            return [span for span in spans if keep(span) and not negated(span, negations)]
        if keep is not _everyone:
            spans = [span for span in spans if keep(span)]
        if not negations:
            return list(spans)  # never the scan's own list: callers may change theirs
        scan = self.scan
        return unnegated(spans, self.present(negations), scan.word_starts, scan.norm.text, self._negated, id(negations))

    def near(self, leaf: NearLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        scan = self.scan
        firsts = scan.hits(leaf.first)
        seconds = scan.hits(leaf.second)
        if not firsts or not seconds:
            return None
        text = scan.norm.text
        pairs = near_pairs(
            firsts, scan.start_words(leaf.first), scan.end_words(leaf.first),
            seconds, scan.start_words(leaf.second), None if leaf.ordered else scan.end_words(leaf.second),
            leaf.within, leaf.within + scan.policy_set.longest_phrase_words,
        )  # fmt: skip
        spans: dict[Span, str] = {}
        phrase = scan.phrase
        for earlier, later, in_order in pairs:
            if leaf.same_sentence and _SENTENCE_BREAK.search(text, earlier[1], later[0]):
                continue
            span = (earlier[0], later[1])
            if not self.keep(span):
                continue
            # A negation before either part negates the pair: in "I'm not suicidal" the "not"
            # stands between the parts, before the second.
            if negations and (self.negated(earlier, negations) or self.negated(later, negations)):
                continue
            if span not in spans:
                first, second = (earlier, later) if in_order else (later, earlier)
                spans[span] = f"near: {phrase(leaf.first, first)} … {phrase(leaf.second, second)}"
        return [(s, e, label) for (s, e), label in sorted(spans.items())] or None

    def third_party(self, leaf: ThirdPartyLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        scan = self.scan
        spans: list[Span] = []
        details: dict[Span, Span] = {}  # evidence span -> the detail phrase's hit inside it
        # Only a capitalised word or a handle can name someone: the words in reach of a detail
        # are looked up among those alone, so a detail costs the same in a post of any length.
        candidates = scan.name_candidates
        # Many details share the words in their reach (a long post has thousands of hits of
        # common details): what each word index has in reach is worked out once.
        in_reach: dict[int, list[tuple[int, int, int, bool]] | None] = {}
        for (d_start, d_end), first in zip(scan.hits(leaf.details), scan.start_words(leaf.details), strict=True):
            if first in in_reach:
                reached = in_reach[first]
            else:
                reached = in_reach[first] = self._names_in_reach(leaf, first, candidates)
            if reached is None:
                continue
            for w_start, w_end, head, is_name in reached:
                if d_start <= w_start < d_end:
                    continue
                named = is_name
                if not named and leaf.sentence_start and scan.words_between(w_end, d_start) == 0:
                    named = w_end <= d_start and scan.is_name_at((head, w_end), sentence_start=True)
                if named:
                    span = (min(head, d_start), max(w_end, d_end))
                    spans.append(span)
                    details[span] = (d_start, d_end)
                    break
        phrase = scan.phrase
        hits = [(s, e, f"third party: {phrase(leaf.details, details[s, e])}") for s, e in self.kept(spans, negations)]
        return hits or None

    def _names_in_reach(
        self, leaf: ThirdPartyLeaf, first: int, candidates: list[int]
    ) -> list[tuple[int, int, int, bool]] | None:
        """The words that may name someone in reach of a detail starting at word `first` (see
        TextScan.name_words); None when the author's own "my" or "our" comes just before it."""
        scan = self.scan
        before = scan.norm.text[scan.word_starts[first - 1] : scan.word_ends[first - 1]] if first > 0 else ""
        if before in _FIRST_PERSON_POSSESSIVES:
            # "my real name is Sam": the author's own detail, not someone else's.
            return None
        low = bisect.bisect_left(candidates, max(0, first - leaf.within - 1))
        high = bisect.bisect_left(candidates, first + leaf.within + 4, low)
        return scan.name_words(low, high)

    def score(self, leaf: ScoreLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        """Each distinct phrase found adds its term's weight once; negated ones add nothing."""
        scan = self.scan
        text = scan.norm.text
        total = 0
        hits: list[Hit] = []
        for group, weight in leaf.terms:
            kept = self.kept(scan.hits(group), negations)
            if kept:
                total += weight * len({text[s:e] for s, e in kept})
                hits += [(s, e, f"{leaf.label}: {scan.phrase(group, (s, e))}") for s, e in kept]
        if total >= leaf.at_least:
            return hits or None
        if hits:
            self.note(f"score {total} below {leaf.at_least}")
        return None

    def phrases(self, leaf: PhraseLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        scan = self.scan
        group = leaf.group
        hits = [
            (s, e, f"{leaf.label}: {scan.phrase(group, (s, e))}") for s, e in self.kept(scan.hits(group), negations)
        ]
        return hits or None

    def regex(self, leaf: RegexLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        patterns = self.scan.patterns
        if not patterns:  # most posts match no pattern at all
            return None
        hits: list[Hit] = []
        for group, pattern in zip(leaf.groups, leaf.patterns, strict=True):
            found = patterns.get(group)
            if found:
                name = f"{leaf.label}: {pattern}"
                hits += [(s, e, name) for s, e in self.kept(found, negations)]
        return hits or None

    def pii(self, leaf: PiiLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        keep = self.keep
        hits = [(s, e, leaf.label) for kind in leaf.kinds for s, e in self.scan.pii(kind) if keep((s, e))]
        return hits or None

    def domains(self, leaf: DomainsLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        scan = self.scan
        hits: list[Hit] = []
        for s, e in scan.pii("url"):
            host = url_host(scan.norm.text[s:e])
            if any(host == d or host.endswith("." + d) for d in leaf.domains) and self.keep((s, e)):
                hits.append((s, e, leaf.label))
        return hits or None

    def protected_identity(self, leaf: ProtectedIdentityLeaf, negations: tuple[Negation, ...]) -> list[Hit] | None:
        # Quoted or not: repeating someone's protected name outs them all the same.
        return [(s, e, leaf.label) for s, e in self.protected] or None

    def classify(self, leaf: ClassifierLeaf, negations: tuple[Negation, ...] = ()) -> list[Hit] | None:
        """The model's score of the sentences this judge keeps (the author's own words, or
        only the quoted ones); its evidence is the sentences that drove the score."""
        sentences = self.scan.sentences
        kept = self.scan.kept_sentences(self.keep)
        if not kept or sum(sentences[i].words for i in kept) < leaf.min_words:
            return None
        model = leaf.model
        bank = self.scan.policy_set.model_bank
        assessment = self.scan.model_assessment(kept)
        probability = bank.probability(assessment, model.name)
        if probability < leaf.above:
            if probability >= leaf.above / 2:
                self.note(f"model {model.name} scored {probability:.3f}, below {leaf.above:.3f}")
            return None
        self.note(f"model {model.name} scored {probability:.3f} (threshold {leaf.above:.3f})")
        self.scores.append(ModelScore(model=model.name, version=model.version,
                                      score=round(probability, 4), threshold=leaf.above))  # fmt: skip
        label = f"classifier: {model.name} {probability:.2f} ≥ {leaf.above:.2f}"
        parts = [sentences[i] for i in kept]
        drivers = bank.drivers(assessment, model.name, parts)[:MODEL_EVIDENCE_SENTENCES] or ((0, 0.0),)
        return [(sentences[kept[i]].start, sentences[kept[i]].end, label) for i, _ in drivers]

    def counter(self, leaf: CounterLeaf, negations: tuple[Negation, ...] = ()) -> list[Hit] | None:
        if self.counters is None:
            return None
        since = self.now - timedelta(seconds=leaf.seconds)
        seen = self.counters.count(
            self.post.community, self.post.author.id, leaf.category, since, exclude_member=self.post.key
        )
        if seen >= leaf.at_least:
            self.note(f"author has {seen} earlier '{leaf.category}' decisions in the window")
            return []
        return None

    def conversation(self, leaf: ConversationLeaf, negations: tuple[Negation, ...] = ()) -> list[Hit] | None:
        if self.thread is None:
            return None
        found = self.thread.holds(leaf)
        if found is False:
            self.note(f"{leaf.label}: not in this conversation")
            return None
        if isinstance(found, ConversationEvidence):
            self.found.append(found)
        return []

    def node(self, node: Node, negations: tuple[Negation, ...]) -> list[Hit] | None:
        """The node's evidence when it holds (possibly empty), None when it does not."""
        # One lookup by the node's type rather than a chain of isinstance checks: a dense post
        # asks about tens of thousands of nodes.
        return _JUDGE_BY_TYPE[type(node)](self, node, negations)

    def combination(self, node: Combinator, negations: tuple[Negation, ...]) -> list[Hit] | None:
        judge_by_type = _JUDGE_BY_TYPE  # each child judged straight from the table, as in node()
        # A child without a hit of its phrases or patterns does not hold: found out without
        # judging it, and for "all" before judging any (not while tracing, so every check
        # still says why).
        absent = self.scan.groups_found.isdisjoint
        untraced = self.trace is None
        if node.op == "none":
            for child, needs in zip(node.children, node.child_needs, strict=True):
                if untraced and needs and any(map(absent, needs)):
                    continue
                if judge_by_type[type(child)](self, child, negations) is not None:
                    return None
            return []
        every = node.op == "all"
        if every and node.needs and untraced and any(map(absent, node.needs)):
            return None
        found: list[Hit] = []
        held = False
        for child, needs in zip(node.children, node.child_needs, strict=True):
            if untraced and needs and any(map(absent, needs)):
                result = None
            else:
                result = judge_by_type[type(child)](self, child, negations)
            if result is None:
                if every:
                    return None
                continue
            held = True
            found.extend(result)
        return found if held else None

    def rule(self, rule: CompiledRule) -> list[Hit] | None:
        self._rule = rule
        self.found = []
        self.scores = []
        if rule.when is not None and not _conditions_hold(rule.when, self.post, self.now):
            return None
        evidence = self.node(rule.match, rule.negations)
        if evidence is None:
            return None
        matched_scores = self.scores
        for veto in rule.vetoes:
            if self.node(veto, ()) is not None:
                self.note("an 'unless' exception applies")
                return None
        self.scores = matched_scores
        return evidence


_JudgeOf = Callable[[_Judge, Any, tuple[Negation, ...]], list[Hit] | None]
_JUDGE_BY_TYPE: dict[type, _JudgeOf] = {
    Combinator: _Judge.combination,
    PhraseLeaf: _Judge.phrases,
    RegexLeaf: _Judge.regex,
    NearLeaf: _Judge.near,
    ThirdPartyLeaf: _Judge.third_party,
    ScoreLeaf: _Judge.score,
    PiiLeaf: _Judge.pii,
    DomainsLeaf: _Judge.domains,
    CounterLeaf: _Judge.counter,
    **dict.fromkeys(typing.get_args(ConversationLeaf), _Judge.conversation),
    ClassifierLeaf: _Judge.classify,
    ProtectedIdentityLeaf: _Judge.protected_identity,
}


def _conditions_hold(when: WhenSpec, post: Post, now: datetime) -> bool:
    author = post.author
    if when.platform is not None and post.platform not in when.platform:
        return False
    if when.kind is not None and post.kind not in when.kind:
        return False
    if when.community is not None and post.community not in when.community:
        return False
    if when.locale is not None:
        locale = (post.locale or "").replace("_", "-").lower()
        if not any(
            locale == want.lower() or (want.endswith("*") and locale.startswith(want[:-1].lower()))
            for want in when.locale
        ):
            return False
    if when.author_is_moderator is not None and (author.is_moderator or author.is_staff) != when.author_is_moderator:
        return False
    if when.account_age_days is not None:
        if author.created_at is None:
            return False
        created = author.created_at if author.created_at.tzinfo else author.created_at.replace(tzinfo=now.tzinfo)
        if not when.account_age_days.holds((now - created).total_seconds() / 86400):
            return False
    return when.trust_level is None or (author.trust_level is not None and when.trust_level.holds(author.trust_level))


def post_text(post: Post) -> tuple[str, int]:
    """The text the engine reads (title, blank line, body) and where the body starts in it."""
    if post.title:
        return f"{post.title}\n\n{post.body}", len(post.title) + 2
    return post.body, 0


def _quoted_ranges(post: Post, body_start: int) -> list[Span]:
    return [
        (r.start + (body_start if r.field == "body" else 0), r.end + (body_start if r.field == "body" else 0))
        for r in post.quoted
    ]


def _masked(source: str, start: int, end: int, hidden: list[Span]) -> str:
    """source[start:end] with every hidden span in it replaced by PROTECTED_MASK."""
    pieces: list[str] = []
    at = start
    for h_start, h_end in hidden:
        if h_end <= at or h_start >= end:
            continue
        pieces += [source[at : max(at, h_start)], PROTECTED_MASK]
        at = min(end, h_end)
    pieces.append(source[at:end])
    return "".join(pieces)


class _Evidence:
    def __init__(self, post: Post, scan: TextScan, body_start: int, protected: list[Span]) -> None:
        self.post = post
        self.scan = scan
        self.body_start = body_start
        # Protected names, in each field's offsets: masked in every snippet that touches them.
        self.hidden: dict[str, list[Span]] = {"title": [], "body": []}
        for span in protected:
            o_start, o_end = scan.norm.original_span(*span)
            if post.title and o_start < len(post.title):
                self.hidden["title"].append((o_start, o_end))
            else:
                self.hidden["body"].append((o_start - body_start, o_end - body_start))

    def of(self, hits: list[Hit]) -> list[Evidence]:
        result: list[Evidence] = []
        seen: set[tuple[int, int]] = set()
        norm = self.scan.norm
        plain = norm.is_plain  # folded offsets are the original's: nothing to map
        title, body = self.post.title, self.post.body
        in_title = len(title) if title else 0  # offsets below this are the title's
        for start, end, label in sorted(hits):
            o_start, o_end = (start, end) if plain else norm.original_span(start, end)
            if (o_start, o_end) in seen:
                continue
            seen.add((o_start, o_end))
            field: Field
            if o_start < in_title:
                field, base, source = "title", 0, title or ""
            else:
                field, base, source = "body", self.body_start, body
            f_start = o_start - base if o_start > base else 0
            f_end = min(len(source), max(f_start, o_end - base))
            hidden = self.hidden[field]
            snippet = (_masked(source, f_start, f_end, hidden) if hidden else source[f_start:f_end])[:SNIPPET_LIMIT]
            result.append(Evidence(field=field, start=f_start, end=f_end, text=snippet, matcher=label))
        return result


def _match(
    rule: CompiledRule,
    evidence: list[Evidence],
    mode: str,
    conversation: list[ConversationEvidence] | None = None,
    scores: list[ModelScore] | None = None,
) -> Match:
    return Match(
        policy=rule.policy, rule=rule.id, category=rule.category, severity=rule.severity,
        mode=rule.mode if mode == "enforce" else "shadow", verdict=rule.verdict.label,
        evidence=evidence, description=rule.description, conversation=conversation or [],
        scores=list(scores or []), layer=rule.layer,
    )  # fmt: skip


def _candidates(policy_set: PolicySet, scan: TextScan) -> list[CompiledRule]:
    masks = policy_set.trigger_masks
    chosen = functools.reduce(operator.or_, map(policy_set.key_masks.__getitem__, scan.phrase_keys), 0)
    chosen |= functools.reduce(operator.or_, map(masks.get, scan.patterns, itertools.repeat(0)), policy_set.always_mask)
    rules = policy_set.rules
    found = []
    while chosen:
        lowest = chosen & -chosen
        found.append(rules[lowest.bit_length() - 1])
        chosen ^= lowest
    return found


def _region(post: Post) -> str:
    _, region = locale_parts(post.locale)
    return region or "US"


def evaluate(
    policy_set: PolicySet,
    post: Post,
    *,
    now: datetime,
    counters: CounterStore | None = None,
    conversations: ConversationStore | None = None,
    decision_id: str | None = None,
    trace: list[str] | None = None,
    identities: IdentityLookup | None = None,
    prepared: PreparedText | None = None,
) -> Decision:
    """The decision for `post`; never raises on any text.

    Rules with conversation matchers are judged in a second pass, after the others, so they
    can ask what this post matched (`matched`); they run only where `conversations` is given.

    `identities` holds each community's protected names (as keyed hashes); a
    name found is reported to `protected_identity` rules and masked in every
    evidence snippet, so no decision repeats it.

    `prepared`: `prepare(policy_set, post)`, made ahead with the rest of a batch (see
    `prepare_text`); the same decision, for less. One made for another post's text or
    another policy set raises ValueError: a caller's mistake, never the text's.
    """
    text, body_start = post_text(post)
    scan = TextScan(policy_set, text, _region(post), prepared)
    quoted = _quoted_ranges(post, body_start)
    names = identities.protected(post.community) if identities is not None else None
    protected = names.find(scan.norm.text, post.author.id, view=scan.view) if names is not None else []

    def own(span: Span) -> bool:
        o_start, o_end = scan.norm.original_span(*span)
        return not any(q_start <= o_start and o_end <= q_end for q_start, q_end in quoted)

    evidence = _Evidence(post, scan, body_start, protected)
    candidates = _candidates(policy_set, scan)
    judge = _Judge(scan, post, now, counters, own if quoted else _everyone, trace, protected)
    enforced: list[tuple[CompiledRule, Match]] = []
    shadow: list[Match] = []
    for rule in candidates:
        hits = judge.rule(rule)
        if hits is None:
            continue
        match = _match(rule, evidence.of(hits), "enforce", scores=judge.scores)
        if rule.mode == "shadow":
            shadow.append(match)
        else:
            enforced.append((rule, match))

    thread = ThreadContext(conversations, post, now) if conversations is not None else None
    if thread is not None and policy_set.conversation_rules:
        _judge_conversation(policy_set, judge, thread, evidence, enforced, shadow)

    quoted_matches: list[Match] = []
    if quoted:
        quoting = _Judge(scan, post, now, None, lambda span: not own(span), None, protected)
        own_rules = {rule.index for rule, _ in enforced}
        for rule in candidates:
            if rule.index in own_rules or rule.mode == "shadow":
                continue
            hits = quoting.rule(rule)
            if hits:
                quoted_matches.append(_match(rule, evidence.of(hits), "enforce", scores=quoting.scores))

    verdict = max((Verdict.parse(m.verdict) for _, m in enforced), default=Verdict.ALLOW)
    if counters is not None:
        for rule, _ in enforced:
            counters.record(post.community, post.author.id, rule.category, post.key, now)
    if thread is not None and conversations is not None:
        categories = tuple(sorted({rule.category for rule, _ in enforced}))
        conversations.record(post.community, thread.turn(verdict.label, categories))
    return Decision(
        id=decision_id or post.decision_id(),
        post=PostRef.of(post),
        policy_version=policy_set.version,
        verdict=verdict.label,
        mode="shadow" if shadow and not enforced else "enforce",
        matches=[m for _, m in enforced],
        shadow_matches=shadow,
        quoted_matches=quoted_matches,
        actions=merge_actions(policy_set, post, enforced),
    )


def prepare(policy_set: PolicySet, post: Post) -> PreparedText:
    """What `evaluate(policy_set, post, prepared=...)` can be handed: see `prepare_text`."""
    return prepare_text(policy_set, post_text(post)[0])


def evaluate_in_batches(
    policy_set: PolicySet,
    posts: Iterable[Post],
    *,
    now: Callable[[Post], datetime],
    counters: CounterStore | None = None,
    conversations: ConversationStore | None = None,
    size: int = BATCH_SIZE,
) -> Iterator[tuple[Post, Decision]]:
    """Each post with its decision, in order, as `evaluate` decides it at `now(post)`: the
    posts are read `size` at a time and each batch prepared before any post of it is judged,
    as a worker judges a task's posts. What one post records (counters, conversation turns)
    is seen by the next, as one by one."""
    unread = iter(posts)
    while batch := list(itertools.islice(unread, size)):
        ready = [prepare(policy_set, post) for post in batch]
        for post, prepared in zip(batch, ready, strict=True):
            decision = evaluate(
                policy_set, post, now=now(post), counters=counters, conversations=conversations, prepared=prepared
            )
            yield post, decision


def _judge_conversation(
    policy_set: PolicySet,
    judge: _Judge,
    thread: ThreadContext,
    evidence: _Evidence,
    enforced: list[tuple[CompiledRule, Match]],
    shadow: list[Match],
) -> None:
    """The second pass: rules with conversation matchers, on what the first pass found."""
    thread.categories = tuple(sorted({rule.category for rule, _ in enforced}))
    judge.thread = thread
    for index in policy_set.conversation_rules:
        rule = policy_set.rules[index]
        wanted = rule.category_triggers
        if wanted is not None and not (thread.categories and any_category_in(thread.categories, wanted)):
            continue
        hits = judge.rule(rule)
        if hits is None:
            continue
        match = _match(rule, evidence.of(hits), "enforce", judge.found, judge.scores)
        if rule.mode == "shadow":
            shadow.append(match)
        else:
            enforced.append((rule, match))


def is_crisis_prone(policy_set: PolicySet, post: Post, prepared: PreparedText | None = None) -> bool:
    """Triage for the request path: would an enforced escalating rule fire on this post?

    Only the escalating rules with a hit are tried, without counter history and without
    telling quotes apart, so it costs about a scan; posts it picks go to the crisis queue.
    `PolicySet.is_crisis_prone` asks it of the set's escalating rules compiled apart, and
    `crisis_prone` of a request's posts together. `prepared` as for `evaluate`.
    """
    if not policy_set.rules:
        return False
    text, _ = post_text(post)
    scan = TextScan(policy_set, text, _region(post), prepared)
    judge = _Judge(scan, post, datetime.min, None, _everyone, None)
    return any(
        rule.escalates and rule.mode == "enforce" and judge.rule(rule) is not None
        for rule in _candidates(policy_set, scan)
    )


def crisis_prone(posts: Sequence[tuple[PolicySet, Post]]) -> list[bool]:
    """`PolicySet.is_crisis_prone` of each post with its set, every post's text prepared
    for its set's triage before any is judged, as a worker judges a task (`prepare_text`)."""
    ready = [prepare(policy_set.triage, post) for policy_set, post in posts]
    return [
        is_crisis_prone(policy_set.triage, post, prepared)
        for (policy_set, post), prepared in zip(posts, ready, strict=True)
    ]


def protecting_rules(policy_set: PolicySet) -> list[str]:
    """The enforced rules that act on a protected identity: what a registration relies on."""

    def uses(node: Node) -> bool:
        if isinstance(node, ProtectedIdentityLeaf):
            return True
        return isinstance(node, Combinator) and node.op != "none" and any(uses(c) for c in node.children)

    return [r.qualified_id for r in policy_set.rules if r.mode == "enforce" and uses(r.match)]
