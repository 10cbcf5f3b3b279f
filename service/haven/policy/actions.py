"""The actions of every enforced match, merged into what a plugin carries out."""

from __future__ import annotations

from haven.domain import SEVERITY_RANK, Action, Match, Post
from haven.policy.compiler import CompiledRule, PolicySet
from haven.policy.schema import ACTION_TARGETS

_PRIORITY = {"normal": 0, "high": 1, "urgent": 2}


def merge_actions(policy_set: PolicySet, post: Post, matched: list[tuple[CompiledRule, Match]]) -> list[Action]:
    """One action per kind (and template or label), strongest first; see the language reference."""
    ordered = sorted(matched, key=lambda pair: (-SEVERITY_RANK[pair[0].severity], pair[0].index))
    merged: dict[tuple[str, str], Action] = {}
    # A conversation rule's flag is about the thread, not this post: holding or removing the
    # post does not tell the moderators about the pile-on, so it is not subsumed.
    about_thread: set[tuple[str, str]] = set()
    for rule, _ in ordered:
        for spec in rule.actions:
            params = dict(spec.params)
            # One private note per policy (its most severe rule's): a member whose post broke two
            # rules of one guideline should not get two bot messages about it.
            named = str(params.get("template") or params.get("name") or "")
            key = (spec.kind, rule.policy if spec.kind == "notify_author" else named)
            if rule.conversational and spec.kind == "flag_for_review":
                about_thread.add(key)
            existing = merged.get(key)
            if existing is not None:
                existing.rules.append(rule.qualified_id)
                if spec.kind == "escalate" and _PRIORITY[params["priority"]] > _PRIORITY[existing.params["priority"]]:
                    existing.params["priority"] = params["priority"]
                continue
            if "template" in params:
                params["text"] = policy_set.templates.render(
                    params["template"], post.locale,
                    guideline=rule.description or rule.category, community=post.community,
                )  # fmt: skip
            target = ACTION_TARGETS[spec.kind]
            if spec.kind == "reply" and params.get("private"):
                target = "author"
            merged[key] = Action(kind=spec.kind, params=params, target=target, rules=[rule.qualified_id])
    kinds = {kind for kind, _ in merged}
    subsumed = {"hold", "flag_for_review"} if "remove" in kinds else {"flag_for_review"} if "hold" in kinds else set()
    return [a for key, a in merged.items() if key[0] not in subsumed or key in about_thread]
