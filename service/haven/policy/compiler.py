"""Compiles checked policy specs into one searchable set.

Every phrase of the set goes into one Aho-Corasick automaton (and one more for
phrases that ask for leetspeak folding), every regular expression into one RE2
set, and each rule is indexed by the hits it cannot match without. A post is
then scanned once, and only the rules its hits can satisfy are evaluated, so
the cost of a post grows with what it says, not with the number of rules.
"""

from __future__ import annotations

import functools
import operator
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec

from haven.domain import ACTION_KINDS, Mode, Post, Severity, Verdict
from haven.policy import schema
from haven.policy.classifier import ModelBank, TextModel
from haven.policy.errors import PolicyLoadError
from haven.policy.identities import PROTECTED_IDENTITY
from haven.policy.loader import (
    PolicyFolder,
    models_named,
    parse_duration,
    read_policy_folder,
)
from haven.policy.normalise import fold_phrase
from haven.policy.patterns import PatternSearch
from haven.policy.phrase_search import PhraseSearch
from haven.policy.templates import Templates

# --- compiled matchers ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhraseLeaf:
    group: int
    label: str


@dataclass(frozen=True, slots=True)
class RegexLeaf:
    groups: tuple[int, ...]
    patterns: tuple[str, ...]  # the author's pattern of each group, to name the one that matched
    label: str


@dataclass(frozen=True, slots=True)
class NearLeaf:
    first: int
    second: int
    within: int
    ordered: bool
    same_sentence: bool
    label: str


@dataclass(frozen=True, slots=True)
class PiiLeaf:
    kinds: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class DomainsLeaf:
    domains: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class ThirdPartyLeaf:
    details: int
    within: int
    label: str
    sentence_start: bool = False


@dataclass(frozen=True, slots=True)
class ScoreLeaf:
    terms: tuple[tuple[int, int], ...]  # (phrase group, weight)
    at_least: int
    label: str


@dataclass(frozen=True, slots=True)
class CounterLeaf:
    category: str
    seconds: int
    at_least: int
    label: str


@dataclass(frozen=True, slots=True)
class MatchedLeaf:
    categories: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class ParentTest:
    """Which parent posts count: a category (prefix) among theirs, a verdict at least; both when both."""

    categories: tuple[str, ...] | None
    verdict: Verdict | None


@dataclass(frozen=True, slots=True)
class PileOnLeaf:
    categories: tuple[str, ...]
    authors: int
    seconds: int
    label: str


@dataclass(frozen=True, slots=True)
class ThreadLeaf:
    categories: tuple[str, ...]
    posts: int
    authors: int
    seconds: int
    label: str


@dataclass(frozen=True, slots=True)
class RepliesToLeaf:
    parent: ParentTest
    label: str


@dataclass(frozen=True, slots=True)
class AuthorRepliesLeaf:
    parent: ParentTest
    categories: tuple[str, ...] | None
    at_least: int
    seconds: int
    label: str


@dataclass(frozen=True, slots=True)
class ClassifierLeaf:
    model: TextModel
    above: float
    min_words: int
    label: str


@dataclass(frozen=True, slots=True)
class ProtectedIdentityLeaf:
    label: str


ConversationLeaf = MatchedLeaf | PileOnLeaf | ThreadLeaf | RepliesToLeaf | AuthorRepliesLeaf
Leaf = (
    PhraseLeaf | RegexLeaf | NearLeaf | PiiLeaf | DomainsLeaf | ThirdPartyLeaf | ScoreLeaf | CounterLeaf
    | ConversationLeaf | ClassifierLeaf | ProtectedIdentityLeaf
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Combinator:
    op: str
    children: tuple[Node, ...]
    # For "all": the phrase and pattern groups the node cannot hold without, as sets of which
    # the post must have a hit of one each (see _needs). Empty for other ops.
    needs: tuple[frozenset[int], ...] = ()
    # Each child's own such sets, where judging it leaves no trace (see _child_needs): a child
    # whose sets the post has no hit of is not judged at all.
    child_needs: tuple[tuple[frozenset[int], ...], ...] = ()


Node = Leaf | Combinator


@dataclass(frozen=True, slots=True)
class Negation:
    group: int
    within: int
    before: bool
    after: bool


@dataclass(frozen=True)
class CompiledRule:
    index: int
    policy: str
    id: str
    category: str
    severity: Severity
    mode: Mode
    description: str
    when: schema.WhenSpec | None
    match: Node
    negations: tuple[Negation, ...]
    vetoes: tuple[Node, ...]
    verdict: Verdict
    actions: tuple[schema.ActionSpec, ...]
    examples: schema.ExamplesSpec
    file: str
    line: int
    triggers: frozenset[int] | None
    # A rule with conversation matchers is judged after the others, and only on a post that
    # matched one of these categories (None: on every post).
    conversational: bool = False
    category_triggers: tuple[str, ...] | None = None
    layer: str = "base"
    changed_in: tuple[str, ...] = ()

    @property
    def qualified_id(self) -> str:
        return f"{self.policy}/{self.id}"

    @property
    def escalates(self) -> bool:
        return self.verdict is Verdict.ESCALATE


@dataclass
class PhraseAutomata:
    """All phrases of a set: a folded phrase -> the groups it belongs to."""

    plain: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    leet: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    shortest: dict[int, int] = field(default_factory=dict)
    # group -> (folded, leet-folded, as written, open-ended) of each phrase: names the one that matched.
    names: dict[int, list[tuple[str, str, str, bool]]] = field(default_factory=dict)
    plain_search: PhraseSearch | None = None
    leet_search: PhraseSearch | None = None
    # The groups of each key of both automata, by the key's number: the automata answer a
    # hit with (key length, key number, open-ended), and a post's hits are kept by key.
    key_groups: list[tuple[int, ...]] = field(default_factory=list)
    # What phrase_named answered for the hits of posts judged so far (see TextScan.phrase).
    named_hits: dict[tuple[int, str, str], str] = field(default_factory=dict, repr=False, compare=False)

    def add(self, phrase: str, group: int, *, leet: bool) -> None:
        # Keys are searched in the word view of the text (see normalise.word_view):
        # " words " matches whole words only; a `*` phrase leaves its end open.
        prefix = phrase.rstrip().endswith("*")
        text = phrase.rstrip().rstrip("*")
        tail = "" if prefix else " "
        folded = fold_phrase(text)
        self.plain.setdefault(f" {folded}{tail}", []).append((group, prefix))
        self.shortest[group] = min(self.shortest.get(group, len(folded)), len(folded))
        self.names.setdefault(group, []).append((folded, fold_phrase(text, leet=True), phrase.strip(), prefix))
        if leet:
            self.leet.setdefault(f" {fold_phrase(text, leet=True)}{tail}", []).append((group, prefix))

    def phrase_named(self, group: int, matched: str, matched_leet: str) -> str:
        """The phrase as the author wrote it that a hit of `group` is; `matched` is the hit's
        folded words (and `matched_leet` the same read as leetspeak)."""
        names = self.names.get(group, [])
        for plain in (True, False):
            for folded, leet_folded, written, prefix in names:
                want, got = (folded, matched) if plain else (leet_folded, matched_leet)
                if got == want or (prefix and got.startswith(want)):
                    return written
        return names[0][2] if names else ""

    def _build(self, entries: dict[str, list[tuple[int, bool]]]) -> PhraseSearch | None:
        if not entries:
            return None
        keys = []
        for key, groups in entries.items():
            # A whole-word key ends in a space and an open-ended one does not: never both.
            prefixed = {prefix for _, prefix in groups}
            assert len(prefixed) == 1, key
            keys.append((key, len(self.key_groups), prefixed.pop()))
            self.key_groups.append(tuple(sorted({g for g, _ in groups})))
        return PhraseSearch(keys)

    def build(self) -> None:
        self.plain_search = self._build(self.plain)
        self.leet_search = self._build(self.leet)


@dataclass
class PolicySet:
    """A compiled policy folder: what the engine judges posts against."""

    root: Path
    version: str
    policies: list[schema.PolicySpec]
    rules: list[CompiledRule]
    automata: PhraseAutomata
    # Every pattern leaf of the set, searched together (see patterns.PatternSearch).
    patterns: PatternSearch
    rules_by_trigger: dict[int, list[int]]
    always_rules: list[int]
    # Rules with conversation matchers, judged in a second pass (see engine.evaluate).
    conversation_rules: list[int]
    templates: Templates
    pii_kinds: frozenset[str]
    group_count: int
    longest_phrase_words: int
    models: dict[str, TextModel] = field(default_factory=dict)
    model_bank: ModelBank = field(default_factory=lambda: ModelBank(()))
    # The longest window any counter matcher of the set looks back over (0: none does): all
    # of an author's history that judging a post with this set can need.
    longest_counter_seconds: int = 0
    # The same as rules_by_trigger and always_rules, as bit masks of rule indexes: a post's
    # candidates are one OR over the groups it hit, without a set built rule by rule.
    trigger_masks: dict[int, int] = field(default_factory=dict)
    always_mask: int = 0
    # The rules that each phrase key's hits make candidates, by key number (see PhraseAutomata).
    key_masks: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.trigger_masks = {
            group: sum(1 << index for index in set(indexes)) for group, indexes in self.rules_by_trigger.items()
        }
        self.always_mask = sum(1 << index for index in set(self.always_rules))
        masks = self.trigger_masks
        self.key_masks = [
            functools.reduce(operator.or_, (masks.get(group, 0) for group in groups), 0)
            for groups in self.automata.key_groups
        ]

    def rule(self, qualified_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.qualified_id == qualified_id), None)

    def folder(self) -> PolicyFolder:
        """The checked folder this set was compiled from (what layers merge onto)."""
        return PolicyFolder(
            root=self.root, policies=self.policies, templates=self.templates.by_name,
            crisis_lines=self.templates.crisis_lines, models=self.models, version=self.version,
        )  # fmt: skip

    @functools.cached_property
    def triage(self) -> PolicySet:
        """The enforced escalating rules compiled apart, with only the models they ask: the
        request path's triage scans for what they look for and nothing else. Compiled when
        first asked, so only a process that triages (the API) holds it."""
        wanted = {(rule.policy, rule.id) for rule in self.rules if rule.escalates and rule.mode == "enforce"}
        policies = [
            msgspec.structs.replace(policy, rules=kept)
            for policy in self.policies
            if (kept := [spec for spec in policy.rules if (policy.id, spec.header.id) in wanted])
        ]
        named = set().union(*(models_named(spec) for policy in policies for spec in policy.rules))
        models = {name: model for name, model in self.models.items() if name in named}
        return compile_folder(replace(self.folder(), policies=policies, models=models))

    def is_crisis_prone(self, post: Post) -> bool:
        """Cheap triage for the request path: could an escalating rule fire on this post?"""
        from haven.policy.engine import is_crisis_prone

        return is_crisis_prone(self.triage, post)


# Leaves whose judging leaves something behind even where the rule does not match through
# them (a model's score, a conversation's evidence) or asks a store (a counter's read).
_CONVERSATION_LEAVES: tuple[type, ...] = typing.get_args(ConversationLeaf)
_TRACE_LEAVES = (ClassifierLeaf, CounterLeaf, *_CONVERSATION_LEAVES)


def _needs(
    children: tuple[Node, ...], child_needs: tuple[tuple[frozenset[int], ...], ...]
) -> tuple[frozenset[int], ...]:
    """What an "all" of these children cannot hold without: each child's own (`child_needs`,
    see `_child_needs`). The engine checks these before judging any child, so that a child with
    no hit spares the others' work (a long one, such as a personal-data check, before it).
    Left empty where judging a child leaves a trace behind, which skipping it would lose."""
    if any(_has_leaf(child, _TRACE_LEAVES) for child in children):
        return ()
    return tuple(dict.fromkeys(need for needs in child_needs for need in needs))


def _child_needs(node: Node, shortest: dict[int, int]) -> tuple[frozenset[int], ...]:
    """What a node cannot hold without, as sets of phrase and pattern groups the post must
    have a hit of one each: its triggers (the hits it cannot hold without), both lists of a
    proximity, or every need of an "all". Empty where judging it leaves a trace behind."""
    if _has_leaf(node, _TRACE_LEAVES):
        return ()
    if isinstance(node, NearLeaf):
        return (frozenset((node.first,)), frozenset((node.second,)))
    if isinstance(node, Combinator) and node.op == "all":
        return node.needs
    triggers = _triggers(node, shortest)
    return () if triggers is None else (triggers,)


class _Compiler:
    def __init__(self, models: dict[str, TextModel]) -> None:
        self.models = models
        self.automata = PhraseAutomata()
        self.next_group = 0
        self.regex_sources: list[tuple[int, str]] = []
        self.pii_kinds: set[str] = set()
        self.longest_counter_seconds = 0

    def group(self, phrases: list[str], fold: Sequence[str]) -> int:
        group = self.next_group
        self.next_group += 1
        for phrase in phrases:
            self.automata.add(phrase, group, leet="leetspeak" in fold)
        return group

    def node(self, spec: schema.MatcherSpec) -> Node:
        if isinstance(spec, schema.CombinatorSpec):
            children = tuple(self.node(child) for child in spec.children)
            child_needs = tuple(_child_needs(child, self.automata.shortest) for child in children)
            needs = _needs(children, child_needs) if spec.op == "all" else ()
            return Combinator(spec.op, children, needs, child_needs)
        if isinstance(spec, schema.PhrasesSpec):
            return PhraseLeaf(self.group(spec.phrases, list(spec.fold)), "phrases")
        if isinstance(spec, schema.RegexSpec):
            patterns = [spec.regex] if isinstance(spec.regex, str) else spec.regex
            groups = []
            for pattern in patterns:
                group = self.next_group
                self.next_group += 1
                self.regex_sources.append((group, pattern))
                groups.append(group)
            return RegexLeaf(tuple(groups), tuple(patterns), "regex")
        if isinstance(spec, schema.NearSpec):
            near = spec.near
            fold = list(near.fold)
            return NearLeaf(
                self.group(near.phrases, fold), self.group(near.to, fold), near.within,
                near.ordered, near.same_sentence, "near",
            )  # fmt: skip
        if isinstance(spec, schema.PiiSpec):
            self.pii_kinds.update(spec.pii)
            return PiiLeaf(tuple(spec.pii), "pii: " + ", ".join(spec.pii))
        if isinstance(spec, schema.DomainsSpec):
            self.pii_kinds.add("url")
            domains = tuple(d.lower().lstrip(".") for d in spec.domains)
            return DomainsLeaf(domains, "domains: " + ", ".join(domains[:3]))
        if isinstance(spec, schema.ThirdPartySpec):
            third = spec.third_party
            group = self.group(third.details, list(third.fold))
            return ThirdPartyLeaf(group, third.within, "third party", third.sentence_start)
        if isinstance(spec, schema.ScoreSpec):
            score = spec.score
            terms = tuple((self.group(t.phrases, list(score.fold)), t.weight) for t in score.terms)
            return ScoreLeaf(terms, score.at_least, f"score ≥ {score.at_least}")
        if isinstance(spec, schema.ConversationSpec):
            return _conversation_leaf(spec)
        if isinstance(spec, schema.ClassifierSpec):
            model = self.models[spec.classifier.model]  # the loader checked the name
            above = model.threshold if spec.classifier.above is None else spec.classifier.above
            shortest = model.min_words if spec.classifier.min_words is None else spec.classifier.min_words
            return ClassifierLeaf(model, above, shortest, f"classifier: {model.name} ≥ {above:.2f}")
        if isinstance(spec, schema.ProtectedIdentitySpec):
            # The label is all a decision says of the hit: never the name.
            return ProtectedIdentityLeaf(PROTECTED_IDENTITY)
        seconds = _seconds(spec.counter.within)
        self.longest_counter_seconds = max(self.longest_counter_seconds, seconds)
        return CounterLeaf(
            spec.counter.category, seconds, spec.counter.at_least,
            f"counter: {spec.counter.category} ≥ {spec.counter.at_least} in {spec.counter.within}",
        )  # fmt: skip


def _seconds(within: str) -> int:
    seconds = parse_duration(within)
    assert seconds is not None  # the loader rejected bad durations
    return seconds


def _names(categories: str | list[str]) -> tuple[str, ...]:
    return (categories,) if isinstance(categories, str) else tuple(categories)


def _parent_test(params: schema.ParentParams) -> ParentTest:
    return ParentTest(
        _names(params.category) if params.category is not None else None,
        Verdict.parse(params.verdict) if params.verdict is not None else None,
    )


def _parent_label(params: schema.ParentParams) -> str:
    parts = ([", ".join(_names(params.category))] if params.category is not None else []) + (
        [f"verdict ≥ {params.verdict}"] if params.verdict is not None else []
    )
    return " and ".join(parts)


def _conversation_leaf(spec: schema.ConversationSpec) -> ConversationLeaf:
    if isinstance(spec, schema.MatchedSpec):
        names = _names(spec.matched)
        return MatchedLeaf(names, "matched: " + ", ".join(names))
    if isinstance(spec, schema.PileOnSpec):
        p = spec.pile_on
        names = _names(p.category)
        return PileOnLeaf(names, p.authors, _seconds(p.within),
                          f"pile-on: {p.authors} members, {', '.join(names)}, in {p.within}")  # fmt: skip
    if isinstance(spec, schema.ThreadSpec):
        t = spec.thread
        names = _names(t.category)
        label = f"thread: {t.posts} posts by {t.authors}+ members, {', '.join(names)}, in {t.within}"
        return ThreadLeaf(names, t.posts, t.authors, _seconds(t.within), label)
    if isinstance(spec, schema.RepliesToSpec):
        return RepliesToLeaf(_parent_test(spec.replies_to), "replies to: " + _parent_label(spec.replies_to))
    a = spec.author_replies
    own = _names(a.category) if a.category is not None else None
    return AuthorRepliesLeaf(
        _parent_test(a.to), own, a.at_least, _seconds(a.within),
        f"author replies: {a.at_least} posts with {_parent_label(a.to)}, in {a.within}",
    )  # fmt: skip


def _sorted(names: frozenset[str] | None) -> tuple[str, ...] | None:
    return tuple(sorted(names)) if names is not None else None


def _has_leaf(node: Node, kinds: tuple[type, ...]) -> bool:
    """A leaf of one of these kinds anywhere in the node."""
    if isinstance(node, Combinator):
        return any(_has_leaf(child, kinds) for child in node.children)
    return isinstance(node, kinds)


def _category_triggers(node: Node) -> frozenset[str] | None:
    """Categories the post must already have matched for this node to hold; None when it can hold without."""
    if isinstance(node, MatchedLeaf | PileOnLeaf | ThreadLeaf):
        return frozenset(node.categories)
    if isinstance(node, AuthorRepliesLeaf):
        return frozenset(node.categories) if node.categories is not None else None
    if not isinstance(node, Combinator):
        return None
    children = [_category_triggers(child) for child in node.children]
    if node.op == "any":
        if any(c is None for c in children):
            return None
        return frozenset().union(*[c for c in children if c is not None])
    if node.op == "all":
        known = [c for c in children if c is not None]
        return min(known, key=len) if known else None
    return None


def _triggers(node: Node, shortest: dict[int, int]) -> frozenset[int] | None:
    """Hits without which this node cannot be true; None when it can be true without any.

    `shortest` is the length of each phrase group's shortest phrase: a proximity needs both of
    its lists, so it is indexed by the one less likely to be everywhere ("suicidal", not "i").
    """
    if isinstance(node, PhraseLeaf):
        return frozenset({node.group})
    if isinstance(node, RegexLeaf):
        return frozenset(node.groups)
    if isinstance(node, NearLeaf):
        rarer = node.first if shortest.get(node.first, 0) >= shortest.get(node.second, 0) else node.second
        return frozenset({rarer})
    if isinstance(node, ThirdPartyLeaf):
        return frozenset({node.details})
    if isinstance(node, ScoreLeaf):
        return frozenset(group for group, _ in node.terms)
    if isinstance(node, PiiLeaf | DomainsLeaf | CounterLeaf | ConversationLeaf | ClassifierLeaf):
        return None
    if isinstance(node, ProtectedIdentityLeaf):
        return None
    children = [_triggers(child, shortest) for child in node.children]
    if node.op == "any":
        if any(c is None for c in children):
            return None
        return frozenset().union(*[c for c in children if c is not None])
    if node.op == "all":
        known = [c for c in children if c is not None]
        return min(known, key=len) if known else None
    return None


def _rule_verdict(rule: schema.RuleSpec) -> Verdict:
    if rule.header.verdict:
        return Verdict.parse(rule.header.verdict)
    implied = [Verdict.parse(schema.ACTION_VERDICTS[a.kind]) for a in rule.actions]
    return max(implied, default=Verdict.ALLOW)


def compile_folder(folder: PolicyFolder, *, rules_only: bool = False) -> PolicySet:
    """Compiles a checked folder; `rules_only` leaves out every rule that asks a learned model,
    to measure what the rules alone decide (`haven backtest --rules-only`)."""
    compiler = _Compiler(folder.models)
    rules: list[CompiledRule] = []
    for policy in folder.policies:
        for spec in policy.rules:
            if rules_only and models_named(spec):
                continue
            match = compiler.node(spec.match)
            vetoes = tuple(compiler.node(v) for v in spec.vetoes)
            conversational = any(_has_leaf(node, _CONVERSATION_LEAVES) for node in (match, *vetoes))
            negations = tuple(
                Negation(compiler.group(n.phrases, list(n.fold)), n.within, n.before or not n.after, n.after)
                for n in spec.negations
            )
            rules.append(
                CompiledRule(
                    index=len(rules), policy=policy.id, id=spec.header.id,
                    category=spec.header.category, severity=spec.header.severity,
                    mode=spec.header.mode or policy.mode, description=spec.header.description,
                    when=spec.header.when, match=match, negations=negations,
                    vetoes=vetoes,
                    verdict=_rule_verdict(spec), actions=tuple(spec.actions),
                    examples=spec.header.examples, file=policy.file, line=spec.line,
                    triggers=_triggers(match, compiler.automata.shortest),
                    conversational=conversational,
                    category_triggers=_sorted(_category_triggers(match)) if conversational else None,
                    layer=spec.layer, changed_in=spec.changed_in,
                )
            )  # fmt: skip
    assert all(a.kind in ACTION_KINDS for r in rules for a in r.actions)
    compiler.automata.build()

    patterns = PatternSearch(compiler.regex_sources, folder.root)

    by_trigger: dict[int, list[int]] = {}
    always: list[int] = []
    conversation: list[int] = []
    for rule in rules:
        if rule.conversational:
            conversation.append(rule.index)
        elif rule.triggers is None:
            always.append(rule.index)
        else:
            for group in rule.triggers:
                by_trigger.setdefault(group, []).append(rule.index)
    return PolicySet(
        root=folder.root, version=folder.version, policies=folder.policies, rules=rules,
        automata=compiler.automata, patterns=patterns,
        rules_by_trigger=by_trigger, always_rules=always, conversation_rules=conversation,
        templates=Templates(folder.templates, folder.crisis_lines),
        pii_kinds=frozenset(compiler.pii_kinds), group_count=compiler.next_group,
        longest_phrase_words=max((len(k.split()) for k in compiler.automata.plain), default=1),
        models=dict(folder.models),
        model_bank=ModelBank(folder.models.values()),
        longest_counter_seconds=compiler.longest_counter_seconds,
    )  # fmt: skip


def load_policy_set(root: Path | str, *, rules_only: bool = False) -> PolicySet:
    """Reads, checks and compiles a policy folder; raises PolicyLoadError with every problem."""
    folder = read_policy_folder(Path(root), read_models=not rules_only)
    if folder.errors:
        raise PolicyLoadError(folder.errors)
    return compile_folder(folder, rules_only=rules_only)
