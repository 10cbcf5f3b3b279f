"""What a candidate version would have changed: its decisions beside the ones that acted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Annotated

import msgspec
from msgspec import Meta

from haven.domain import Decision

# Decision ids listed per rule; the counts are always complete.
IDS_PER_RULE = 100


class RuleChange(msgspec.Struct, kw_only=True):
    """One rule whose firing differs between the versions on some posts."""

    rule: Annotated[str, Meta(description="The rule, as policy/rule.")]
    category: Annotated[str, Meta(description="The rule's category.")]
    layer: Annotated[
        str,
        Meta(
            description="The layer that defines the rule in the candidate: "
            "base, community:<c> or channel:<c>/<channel>."
        ),
    ]
    # "fires": fires under the candidate only; "stops": under the active version only;
    # "changes": fires under both with another verdict or mode.
    effect: Annotated[
        str,
        Meta(
            description='"fires": fires under the candidate only; "stops": under the active version only; '
            '"changes": fires under both with another verdict or mode.'
        ),
    ]
    posts: Annotated[int, Meta(description="How many posts it changed.")]
    by_verdict: Annotated[dict[str, int], Meta(description='Posts by "active verdict -> candidate verdict".')]
    decision_ids: Annotated[list[str], Meta(description="Decisions to inspect (a sample).")]


class Comparison(msgspec.Struct, kw_only=True):
    version: Annotated[int, Meta(description="The candidate version compared with the active one.")]
    posts: Annotated[int, Meta(description="Posts judged by both versions.")]
    changed: Annotated[int, Meta(description="Posts with a different verdict or different rules firing.")]
    by_verdict: Annotated[dict[str, int], Meta(description='Changed posts by "active verdict -> candidate verdict".')]
    by_category: Annotated[
        dict[str, int], Meta(description="Changed posts by the category of each rule that changed them.")
    ]
    rules: Annotated[list[RuleChange], Meta(description="Each rule whose firing differs, with its posts.")]


def compare(version: int, pairs: Iterable[tuple[Decision, Decision]]) -> Comparison:
    """`pairs` are (decision that acted, the candidate's decision) of the same posts."""
    posts = changed = 0
    transitions: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    rules: dict[tuple[str, str], RuleChange] = {}
    for active, candidate in pairs:
        posts += 1
        before = {f"{m.policy}/{m.rule}": m for m in active.matches}
        after = {f"{m.policy}/{m.rule}": m for m in candidate.matches}
        if active.verdict == candidate.verdict and before.keys() == after.keys():
            continue
        changed += 1
        transition = f"{active.verdict} -> {candidate.verdict}"
        transitions[transition] += 1
        differing = [(name, after[name], "fires") for name in after.keys() - before.keys()]
        differing += [(name, before[name], "stops") for name in before.keys() - after.keys()]
        differing += [
            (name, after[name], "changes")
            for name in after.keys() & before.keys()
            if (after[name].verdict, after[name].mode) != (before[name].verdict, before[name].mode)
        ]
        for category in {match.category for _, match, _ in differing}:
            categories[category] += 1
        for name, match, effect in sorted(differing, key=lambda d: d[0]):
            entry = rules.get((name, effect))
            if entry is None:
                entry = rules[(name, effect)] = RuleChange(
                    rule=name, category=match.category, layer=match.layer, effect=effect,
                    posts=0, by_verdict={}, decision_ids=[],
                )  # fmt: skip
            entry.posts += 1
            entry.by_verdict[transition] = entry.by_verdict.get(transition, 0) + 1
            if len(entry.decision_ids) < IDS_PER_RULE:
                entry.decision_ids.append(active.id)
    return Comparison(
        version=version, posts=posts, changed=changed, by_verdict=dict(transitions.most_common()),
        by_category=dict(categories.most_common()),
        rules=sorted(rules.values(), key=lambda r: (-r.posts, r.rule, r.effect)),
    )  # fmt: skip
