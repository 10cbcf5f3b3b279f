"""The shape of a policy file, as msgspec Structs: what a policy author may write.

`docs/policy-language.md` documents every key here. The loader converts each
part of a YAML document into these types and pins any mismatch to its line.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from haven.domain import Mode, PostKind, Severity

Fold = Literal["leetspeak", "homoglyphs"]
PiiKind = Literal[
    "email",
    "phone",
    "street_address",
    "payment_card",
    "national_id",
    "iban",
    "ip_address",
    "url",
]
PII_KINDS: tuple[str, ...] = PiiKind.__args__  # type: ignore[attr-defined]
VerdictName = Literal["allow", "nudge", "review", "hold", "remove", "escalate"]


class _Spec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


# --- matchers -------------------------------------------------------------


class PhrasesSpec(_Spec, kw_only=True):
    phrases: list[str]
    fold: list[Fold] = []


class RegexSpec(_Spec, kw_only=True):
    regex: str | list[str]


class NearParams(_Spec, kw_only=True):
    phrases: list[str]
    to: list[str]
    within: int = 3
    ordered: bool = False
    same_sentence: bool = False
    fold: list[Fold] = []


class NearSpec(_Spec, kw_only=True):
    near: NearParams


class PiiSpec(_Spec, kw_only=True):
    pii: list[PiiKind]


class DomainsSpec(_Spec, kw_only=True):
    domains: list[str]


class ThirdPartyParams(_Spec, kw_only=True):
    details: list[str]
    within: int = 8
    # A capitalised word opening a sentence counts as a name when a detail follows it at
    # once ("Becky admitted in group …"); off by default, since most opening words are not names.
    sentence_start: bool = False
    fold: list[Fold] = []


class ThirdPartySpec(_Spec, kw_only=True):
    third_party: ThirdPartyParams


class ScoreTerm(_Spec, kw_only=True):
    weight: int
    phrases: list[str]


class ScoreParams(_Spec, kw_only=True):
    at_least: int
    terms: list[ScoreTerm]
    fold: list[Fold] = []


class ScoreSpec(_Spec, kw_only=True):
    """Many weak signals together: fires when the weights of the distinct phrases found add up."""

    score: ScoreParams


class ProtectedIdentitySpec(_Spec, kw_only=True):
    """`protected_identity: true`: a name or handle registered for the post's community."""

    protected_identity: bool


class CounterParams(_Spec, kw_only=True):
    category: str
    within: str
    at_least: int = 1


class CounterSpec(_Spec, kw_only=True):
    counter: CounterParams


class ClassifierParams(_Spec, kw_only=True):
    model: str
    # None: the threshold the model's training chose by cross-validation (its card says how)
    above: float | None = None
    # None: the model's own minimum length (its card says why)
    min_words: int | None = None


class ClassifierSpec(_Spec, kw_only=True):
    """A learned model's probability for the post (the author's own words) above a threshold."""

    classifier: ClassifierParams


# --- conversation matchers (see policy/conversations.py) -------------------------------

Categories = str | list[str]


class MatchedSpec(_Spec, kw_only=True):
    """This post matched one of these categories, by the rules that read no conversation."""

    matched: Categories


class PileOnParams(_Spec, kw_only=True):
    category: Categories
    authors: int = 3
    within: str


class PileOnSpec(_Spec, kw_only=True):
    """Distinct members whose replies to the same member matched, this post's author among them."""

    pile_on: PileOnParams


class ThreadParams(_Spec, kw_only=True):
    category: Categories
    posts: int = 3
    authors: int = 1
    within: str


class ThreadSpec(_Spec, kw_only=True):
    """Posts of this thread that matched, this post among them."""

    thread: ThreadParams


class ParentParams(_Spec, kw_only=True):
    category: Categories | None = None
    verdict: VerdictName | None = None


class RepliesToSpec(_Spec, kw_only=True):
    """This post replies to another member's post that was decided so."""

    replies_to: ParentParams


class AuthorRepliesParams(_Spec, kw_only=True):
    to: ParentParams
    category: Categories | None = None
    at_least: int = 2
    within: str


class AuthorRepliesSpec(_Spec, kw_only=True):
    """The author's replies, in any thread, to distinct posts decided so, this one among them."""

    author_replies: AuthorRepliesParams


ConversationSpec = MatchedSpec | PileOnSpec | ThreadSpec | RepliesToSpec | AuthorRepliesSpec

LeafSpec = (
    PhrasesSpec | RegexSpec | NearSpec | PiiSpec | DomainsSpec | ThirdPartySpec | ScoreSpec | CounterSpec
    | ConversationSpec | ClassifierSpec | ProtectedIdentitySpec
)  # fmt: skip

# The key that names each kind of matcher, and the Struct it converts into.
LEAF_KINDS: dict[str, type[_Spec]] = {
    "phrases": PhrasesSpec,
    "regex": RegexSpec,
    "near": NearSpec,
    "pii": PiiSpec,
    "domains": DomainsSpec,
    "third_party": ThirdPartySpec,
    "score": ScoreSpec,
    "counter": CounterSpec,
    "matched": MatchedSpec,
    "pile_on": PileOnSpec,
    "thread": ThreadSpec,
    "replies_to": RepliesToSpec,
    "author_replies": AuthorRepliesSpec,
    "classifier": ClassifierSpec,
    "protected_identity": ProtectedIdentitySpec,
}
COMBINATORS: tuple[str, ...] = ("any", "all", "none")


class CombinatorSpec(msgspec.Struct, kw_only=True):
    op: Literal["any", "all", "none"]
    children: list[MatcherSpec]


MatcherSpec = LeafSpec | CombinatorSpec


class NegationParams(_Spec, kw_only=True):
    phrases: list[str]
    within: int = 3
    before: bool = True
    after: bool = False
    fold: list[Fold] = []


class NegationSpec(_Spec, kw_only=True):
    """An `unless: - near:` entry: drops hits with a negating word close by."""

    near: NegationParams


# --- conditions -------------------------------------------------------------


class Comparison(_Spec, kw_only=True):
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None

    def holds(self, value: float) -> bool:
        return (
            (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
            and (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
        )


class WhenSpec(_Spec, kw_only=True):
    platform: list[str] | None = None
    kind: list[PostKind] | None = None
    community: list[str] | None = None
    locale: list[str] | None = None
    account_age_days: Comparison | None = None
    trust_level: Comparison | None = None
    author_is_moderator: bool | None = None


# --- actions --------------------------------------------------------------


class EscalateParams(_Spec, kw_only=True):
    priority: Literal["urgent", "high", "normal"] = "normal"


class ReplyParams(_Spec, kw_only=True):
    template: str
    private: bool = False


class NotifyAuthorParams(_Spec, kw_only=True):
    template: str


class ReasonParams(_Spec, kw_only=True):
    reason: str | None = None


class RemoveParams(_Spec, kw_only=True):
    reason: str | None = None
    spam: bool = False


class RedactParams(_Spec, kw_only=True):
    what: Literal["evidence", "pii"] = "evidence"


class LabelParams(_Spec, kw_only=True):
    name: str


class NoParams(_Spec, kw_only=True):
    pass


class SilenceParams(_Spec, kw_only=True):
    hours: int = 24


ACTION_PARAMS: dict[str, type[_Spec]] = {
    "flag_for_review": ReasonParams,
    "hold": ReasonParams,
    "remove": RemoveParams,
    "escalate": EscalateParams,
    "reply": ReplyParams,
    "notify_author": NotifyAuthorParams,
    "redact": RedactParams,
    "label": LabelParams,
    "lock": NoParams,
    "silence": SilenceParams,
}

ACTION_TARGETS: dict[str, Literal["post", "author", "moderators"]] = {
    "flag_for_review": "post",
    "hold": "post",
    "remove": "post",
    "escalate": "moderators",
    "reply": "post",
    "notify_author": "author",
    "redact": "post",
    "label": "post",
    "lock": "post",
    "silence": "author",
}

# The verdict an action implies when a rule names none.
ACTION_VERDICTS: dict[str, VerdictName] = {
    "escalate": "escalate",
    "remove": "remove",
    "hold": "hold",
    "flag_for_review": "review",
    "reply": "nudge",
    "notify_author": "nudge",
    "redact": "nudge",
    "lock": "nudge",
    "silence": "nudge",
    "label": "allow",
}


class ActionSpec(msgspec.Struct, kw_only=True):
    kind: str
    params: dict[str, Any]


# --- examples, rules, policies ---------------------------------------------


class ExampleSpec(_Spec, kw_only=True):
    text: str | None = None
    title: str = ""
    body: str | None = None
    kind: PostKind = "post"
    platform: str = "example"
    community: str = "example"
    locale: str | None = None
    account_age_days: float | None = None
    trust_level: int | None = None
    author_is_moderator: bool = False
    history: dict[str, int] = {}
    # Names registered as protected identities of the example's community.
    protected: list[str] = []
    # The conversation around the example: who it replies to, and earlier decisions.
    author: str = "example-author"
    thread: str = "example-thread"
    parent: str | None = None
    context: list[TurnSpec] = []


class TurnSpec(_Spec, kw_only=True):
    """An earlier decision an example's conversation holds (see `context`)."""

    id: str
    author: str
    thread: str | None = None  # the example's own thread when absent
    parent: str | None = None
    categories: list[str] = []
    verdict: VerdictName = "allow"
    minutes_ago: float | None = None  # one minute apart, oldest first, when absent


class ExamplesSpec(_Spec, kw_only=True):
    match: list[str | ExampleSpec] = []
    no_match: list[str | ExampleSpec] = []


class RuleHeader(_Spec, kw_only=True):
    """A rule's plain keys; `match`, `unless` and `actions` are parsed apart."""

    id: str
    category: str
    severity: Severity
    description: str = ""
    mode: Mode | None = None
    when: WhenSpec | None = None
    verdict: VerdictName | None = None
    examples: ExamplesSpec = msgspec.field(default_factory=ExamplesSpec)
    match: Any = None
    unless: Any = None
    actions: Any = None


class PolicyHeader(_Spec, kw_only=True):
    id: str
    description: str = ""
    mode: Mode = "enforce"
    rules: list[Any]


class RuleSpec(msgspec.Struct, kw_only=True):
    header: RuleHeader
    match: MatcherSpec
    negations: list[NegationParams]
    vetoes: list[MatcherSpec]
    actions: list[ActionSpec]
    line: int
    # The layer that defined the rule (see policy/layers.py), and those that changed it since.
    layer: str = "base"
    changed_in: tuple[str, ...] = ()


class PolicySpec(msgspec.Struct, kw_only=True):
    id: str
    description: str
    mode: Mode
    rules: list[RuleSpec]
    file: str
    layer: str = "base"


class CrisisLine(_Spec, kw_only=True):
    name: str
    contact: str
    source: str
    hours: str | None = None
    url: str | None = None
