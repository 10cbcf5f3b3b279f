"""Runs the inline examples of every rule: what `haven policy test` checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from haven.domain import Author, Post
from haven.policy.compiler import CompiledRule, PolicySet
from haven.policy.conversations import InMemoryConversationStore, Turn
from haven.policy.counters import InMemoryCounterStore
from haven.policy.engine import evaluate
from haven.policy.identities import InMemoryIdentities
from haven.policy.schema import ExampleSpec

# Examples are judged at a fixed instant so that a run is repeatable.
EXAMPLE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ExampleFailure:
    rule: CompiledRule
    expected_match: bool
    text: str
    fired: list[str]

    def __str__(self) -> str:
        want = "should match" if self.expected_match else "should not match"
        others = ", ".join(self.fired) or "nothing"
        return (
            f"{self.rule.file}:{self.rule.line}: rule '{self.rule.qualified_id}' {want}: "
            f"{self.text!r} (fired: {others})"
        )


@dataclass(frozen=True)
class ExampleCase:
    """An example as the engine sees it: the post, and the state it is judged with."""

    post: Post
    counters: InMemoryCounterStore
    conversations: InMemoryConversationStore


def example_post(example: str | ExampleSpec, index: int) -> ExampleCase:
    spec = ExampleSpec(text=example) if isinstance(example, str) else example
    created = EXAMPLE_TIME - timedelta(days=spec.account_age_days) if spec.account_age_days is not None else None
    author = Author(
        id=spec.author, created_at=created, trust_level=spec.trust_level,
        is_moderator=spec.author_is_moderator,
    )  # fmt: skip
    post = Post(
        platform=spec.platform, community=spec.community, external_id=f"example-{index}",
        kind=spec.kind, author=author, title=spec.title,
        body=spec.text if spec.text is not None else (spec.body or ""), locale=spec.locale,
        thread_id=spec.thread, parent_id=spec.parent,
    )  # fmt: skip
    counters = InMemoryCounterStore()
    for category, count in spec.history.items():
        for n in range(count):
            at = EXAMPLE_TIME - timedelta(minutes=n + 1)
            counters.record(post.community, author.id, category, f"history-{n}", at)
    return ExampleCase(post, counters, example_conversation(spec))


def example_conversation(spec: ExampleSpec) -> InMemoryConversationStore:
    """The earlier decisions of an example's `context`, recorded as the engine would have."""
    store = InMemoryConversationStore()
    recorded: dict[str, Turn] = {}
    for n, turn in enumerate(spec.context):
        minutes = turn.minutes_ago if turn.minutes_ago is not None else len(spec.context) - n
        made = Turn(
            post=turn.id, revision="1", platform=spec.platform, thread=turn.thread or spec.thread,
            author=turn.author, at=(EXAMPLE_TIME - timedelta(minutes=minutes)).timestamp(),
            verdict=turn.verdict, categories=tuple(sorted(turn.categories)), parent=turn.parent,
        ).replying_to(recorded.get(turn.parent) if turn.parent is not None else None)  # fmt: skip
        recorded[turn.id] = made
        store.record(spec.community, made)
    return store


def run_examples(policy_set: PolicySet, only: set[str] | None = None) -> tuple[int, list[ExampleFailure]]:
    """How many examples ran, and the ones that did not behave as declared; `only` limits
    them to the rules of these qualified ids."""
    failures: list[ExampleFailure] = []
    count = 0
    for rule in policy_set.rules:
        if only is not None and rule.qualified_id not in only:
            continue
        cases = [(e, True) for e in rule.examples.match] + [(e, False) for e in rule.examples.no_match]
        for example, expected in cases:
            count += 1
            case = example_post(example, count)
            post = case.post
            identities = InMemoryIdentities()
            if not isinstance(example, str) and example.protected:
                identities.register(post.community, example.protected)
            decision = evaluate(
                policy_set, post, now=EXAMPLE_TIME, counters=case.counters, conversations=case.conversations,
                identities=identities,
            )  # fmt: skip
            fired = [f"{m.policy}/{m.rule}" for m in [*decision.matches, *decision.shadow_matches]]
            if (rule.qualified_id in fired) != expected:
                text = post.body if not post.title else f"{post.title} / {post.body}"
                failures.append(ExampleFailure(rule, expected, text, fired))
    return count, failures
