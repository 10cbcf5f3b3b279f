"""Reads a policy folder into checked specs, collecting every problem with its position."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import re2

from haven.policy import schema
from haven.policy.classifier import TextModel
from haven.policy.errors import PolicyError
from haven.policy.normalise import fold_phrase
from haven.policy.pack import default_pack_dir
from haven.policy.yamlsource import DocPath, SourceMap, read_yaml

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CATEGORY = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MSGSPEC_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MSGSPEC_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_UNKNOWN_FIELD = re.compile(r"Object contains unknown field `([^`]*)`")
_MISSING_FIELD = re.compile(r"Object missing required field `([^`]*)`")
_INVALID_ENUM = re.compile(r"Invalid enum value '([^']*)'")
_WRONG_TYPE = re.compile(r"Expected `([a-z]+)")
# What each expected type asks of the author, and an example of it.
_TYPE_WORDS: dict[str, tuple[str, str]] = {
    "int": ("a whole number", "6"),
    "float": ("a number", "2.5"),
    "bool": ("true or false", "true"),
    "str": ("text", '"some text"'),
    "array": ("a list", "[first, second]"),
    "object": ("a mapping", "{key: value}"),
}
_COMPARISONS = tuple(schema.Comparison.__struct_fields__)
_CHOICES: dict[str, tuple[str, ...]] = {
    "severity": ("low", "medium", "high", "critical"),
    "mode": ("enforce", "shadow"),
    "verdict": ("allow", "nudge", "review", "hold", "remove", "escalate"),
    "kind": ("post", "comment", "message"),
    "priority": ("urgent", "high", "normal"),
    "fold": ("leetspeak", "homoglyphs"),
    "pii": schema.PII_KINDS,
    "what": ("evidence", "pii"),
}

_CONVERSATION_PARAMS = (
    schema.PileOnParams, schema.ThreadParams, schema.ParentParams, schema.AuthorRepliesParams, schema.TurnSpec,
)  # fmt: skip


def regex_options() -> re2.Options:
    """Patterns run over lower-cased text, so they match without regard to case: an author's
    "Pain Olympics" would otherwise never match."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    return options


_RE2_OPTIONS = regex_options()

_KNOWN_KEYS = sorted(
    set(schema.LEAF_KINDS)
    | set(schema.COMBINATORS)
    | set(schema.ACTION_PARAMS)
    | {f for s in (schema.RuleHeader, schema.PolicyHeader, schema.WhenSpec) for f in s.__struct_fields__}
    | {f for s in (schema.NearParams, schema.NegationParams, schema.ExampleSpec) for f in s.__struct_fields__}
    | {f for s in _CONVERSATION_PARAMS for f in s.__struct_fields__}
    | set(schema.ClassifierParams.__struct_fields__)
    | {"fold", "to"}
)  # fmt: skip


def parse_duration(text: str) -> int | None:
    found = _DURATION.match(text.strip())
    return int(found.group(1)) * _DURATION_SECONDS[found.group(2)] if found else None


def compile_regex(pattern: str) -> re2._Regexp:
    """RE2 only: a pattern that would need backtracking raises re2.error."""
    return re2.compile(pattern, options=_RE2_OPTIONS)


@dataclass
class PolicyFolder:
    """Everything read from a policy folder, checked but not yet compiled."""

    root: Path
    policies: list[schema.PolicySpec] = field(default_factory=list)
    templates: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> locale -> text
    crisis_lines: dict[str, list[schema.CrisisLine]] = field(default_factory=dict)
    models: dict[str, TextModel] = field(default_factory=dict)  # name -> trained model
    version: str = ""
    errors: list[PolicyError] = field(default_factory=list)
    sources: dict[str, SourceMap] = field(default_factory=dict)


def _value_at(value: Any, path: DocPath) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return value
    return value


def _did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'?" if close else None


class _FileChecker:
    """Checks one policy file; errors accumulate instead of stopping at the first."""

    def __init__(self, source: SourceMap, errors: list[PolicyError], models: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.errors = errors
        self.models = models

    def fail(self, path: DocPath, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.errors.append(self.source.error(path, message, hint, key=key))

    def convert(self, value: Any, target: type[Any], path: DocPath) -> Any:
        try:
            return msgspec.convert(value, target)
        except msgspec.ValidationError as exc:
            self._report(exc, path, value)
            return None

    def _report(self, exc: msgspec.ValidationError, base: DocPath, value: Any) -> None:
        found = _MSGSPEC_AT.match(str(exc))
        message = found.group("message") if found else str(exc)
        suffix = (found.group("path") if found else None) or ""
        inner = tuple(name if name else int(index) for name, index in _MSGSPEC_PART.findall(suffix))
        path: DocPath = base + inner
        unknown = _UNKNOWN_FIELD.match(message)
        parent = next((part for part in reversed(path) if isinstance(part, str)), "")
        if unknown and parent in ("account_age_days", "trust_level"):
            name = unknown.group(1)
            allowed = ", ".join(_COMPARISONS)
            self.fail((*path, name), f"unknown comparison '{name}' in '{parent}'; the comparisons are {allowed}",
                      f"e.g. {parent}: {{lt: 2}} (less than), {{gte: 30}} (at least)", key=True)  # fmt: skip
            return
        if unknown:
            name = unknown.group(1)
            others = [k for k in _KNOWN_KEYS if k != name]  # a key known elsewhere is no hint here
            self.fail((*path, name), f"unknown key '{name}'", _did_you_mean(name, others), key=True)
            return
        missing = _MISSING_FIELD.match(message)
        if missing:
            self.fail(path, f"missing required key '{missing.group(1)}'")
            return
        invalid = _INVALID_ENUM.match(message)
        named = next((part for part in reversed(path) if isinstance(part, str)), "")
        if invalid and named in _CHOICES:
            choices = ", ".join(f"'{c}'" for c in _CHOICES[named])
            self.fail(path, f"expected one of {choices}, got '{invalid.group(1)}'",
                      _did_you_mean(invalid.group(1), _CHOICES[named]))  # fmt: skip
            return
        wrong = _WRONG_TYPE.match(message)
        if wrong and named and wrong.group(1) in _TYPE_WORDS:
            words, example = _TYPE_WORDS[wrong.group(1)]
            given = _value_at(value, inner)
            self.fail(path, f"'{named}' takes {words}, got {given!r}", f"write e.g. {named}: {example}")
            return
        message = message.replace("Expected", "expected").replace("`", "'")
        self.fail(path, message)

    # --- matchers ---------------------------------------------------------

    def matcher(self, value: Any, path: DocPath) -> schema.MatcherSpec | None:
        expected = ", ".join([*schema.LEAF_KINDS, *schema.COMBINATORS])
        if not isinstance(value, dict):
            hint = "wrap a list of matchers in 'any:' or 'all:'" if isinstance(value, list) else None
            self.fail(path, f"expected a matcher (a mapping with one of {expected})", hint)
            return None
        combinators = [k for k in value if k in schema.COMBINATORS]
        leaves = [k for k in value if k in schema.LEAF_KINDS]
        if combinators:
            op = combinators[0]
            if len(value) != 1:
                other = next(k for k in value if k != op)
                self.fail((*path, other), f"'{op}' must stand alone in its mapping", key=True)
                return None
            children = value[op]
            if not isinstance(children, list) or not children:
                self.fail((*path, op), f"'{op}' takes a non-empty list of matchers")
                return None
            parsed = [self.matcher(child, (*path, op, i)) for i, child in enumerate(children)]
            if any(p is None for p in parsed):
                return None
            return schema.CombinatorSpec(op=op, children=[p for p in parsed if p is not None])
        if len(leaves) != 1:
            unknown = [k for k in value if k not in schema.LEAF_KINDS and k != "fold"]
            if unknown:
                name = unknown[0]
                hint = _did_you_mean(name, [*schema.LEAF_KINDS, *schema.COMBINATORS])
                self.fail((*path, name), f"unknown key '{name}' in matcher; expected one of {expected}", hint, key=True)
            elif leaves:
                self.fail(path, f"a matcher has exactly one kind, found {', '.join(leaves)}",
                          "put them under 'any:' or 'all:'")  # fmt: skip
            else:
                self.fail(path, f"expected a matcher (a mapping with one of {expected})")
            return None
        kind = leaves[0]
        spec = self.convert(value, schema.LEAF_KINDS[kind], path)
        if spec is None:
            return None
        return self._check_leaf(spec, path)  # type: ignore[no-any-return]

    def _check_leaf(self, spec: Any, path: DocPath) -> Any:
        ok = True
        if isinstance(spec, schema.PhrasesSpec):
            ok = self._phrases(spec.phrases, (*path, "phrases"))
        elif isinstance(spec, schema.RegexSpec):
            patterns = [spec.regex] if isinstance(spec.regex, str) else spec.regex
            for i, pattern in enumerate(patterns):
                where = (*path, "regex") if isinstance(spec.regex, str) else (*path, "regex", i)
                ok = self._regex(pattern, where) and ok
            ok = ok and bool(patterns)
        elif isinstance(spec, schema.NearSpec):
            ok = self._phrases(spec.near.phrases, (*path, "near", "phrases"))
            ok = self._phrases(spec.near.to, (*path, "near", "to")) and ok
            ok = self._window(spec.near.within, (*path, "near", "within")) and ok
        elif isinstance(spec, schema.ThirdPartySpec):
            ok = self._phrases(spec.third_party.details, (*path, "third_party", "details"))
            ok = self._window(spec.third_party.within, (*path, "third_party", "within")) and ok
        elif isinstance(spec, schema.ScoreSpec):
            score = spec.score
            if not score.terms:
                self.fail((*path, "score", "terms"), "a score needs at least one term")
                ok = False
            for i, term in enumerate(score.terms):
                ok = self._phrases(term.phrases, (*path, "score", "terms", i, "phrases")) and ok
                if term.weight < 1:
                    self.fail((*path, "score", "terms", i, "weight"), "weights are whole numbers of 1 or more")
                    ok = False
            if score.at_least < 1:
                self.fail((*path, "score", "at_least"), "at_least must be 1 or more")
                ok = False
        elif isinstance(spec, schema.CounterSpec):
            if parse_duration(spec.counter.within) is None:
                self.fail((*path, "counter", "within"),
                          f"'{spec.counter.within}' is not a duration", "write e.g. 30m, 24h or 7d")  # fmt: skip
                ok = False
            if not _CATEGORY.match(spec.counter.category):
                self.fail((*path, "counter", "category"), "a category is dotted lower case, e.g. community.hostility")
                ok = False
            if spec.counter.at_least < 1:
                self.fail((*path, "counter", "at_least"), "at_least must be 1 or more")
                ok = False
        elif isinstance(spec, schema.ConversationSpec):
            ok = self._conversation(spec, path)
        elif isinstance(spec, schema.ClassifierSpec):
            params = spec.classifier
            if params.model not in self.models:
                known = ", ".join(sorted(self.models)) or "none: train one with `haven models train`"
                self.fail((*path, "classifier", "model"), f"unknown model '{params.model}' (known: {known})",
                          _did_you_mean(params.model, sorted(self.models)))  # fmt: skip
                ok = False
            if params.above is not None and not 0.0 < params.above < 1.0:
                self.fail((*path, "classifier", "above"), f"above is a probability between 0 and 1, not {params.above}",
                          "leave it out to use the threshold the model's card recommends")  # fmt: skip
                ok = False
            if params.min_words is not None and params.min_words < 0:
                self.fail((*path, "classifier", "min_words"), "min_words is a count of words, 0 or more")
                ok = False
        elif isinstance(spec, schema.ProtectedIdentitySpec):
            if not spec.protected_identity:
                self.fail((*path, "protected_identity"), "write 'protected_identity: true', or leave the matcher out")
                ok = False
        elif isinstance(spec, schema.PiiSpec | schema.DomainsSpec):
            items = spec.pii if isinstance(spec, schema.PiiSpec) else spec.domains
            if not items:
                self.fail(path, "the list is empty")
                ok = False
        return spec if ok else None

    def _conversation(self, spec: schema.ConversationSpec, path: DocPath) -> bool:
        """Categories, windows and thresholds of a conversation matcher."""
        if isinstance(spec, schema.MatchedSpec):
            return self._categories(spec.matched, (*path, "matched"))
        if isinstance(spec, schema.RepliesToSpec):
            return self._parent(spec.replies_to, (*path, "replies_to"))
        ok = True
        if isinstance(spec, schema.PileOnSpec):
            where, params = (*path, "pile_on"), spec.pile_on
            counts = {"authors": params.authors}
        elif isinstance(spec, schema.ThreadSpec):
            where, params = (*path, "thread"), spec.thread  # type: ignore[assignment]
            counts = {"posts": spec.thread.posts, "authors": spec.thread.authors}
        else:
            where, params = (*path, "author_replies"), spec.author_replies  # type: ignore[assignment]
            counts = {"at_least": spec.author_replies.at_least}
            ok = self._parent(spec.author_replies.to, (*where, "to"))
        if params.category is not None:
            ok = self._categories(params.category, (*where, "category")) and ok
        for name, value in counts.items():
            if value < 1:
                self.fail((*where, name), f"{name} must be 1 or more")
                ok = False
        if parse_duration(params.within) is None:
            self.fail((*where, "within"), f"'{params.within}' is not a duration", "write e.g. 30m, 24h or 7d")
            ok = False
        return ok

    def _categories(self, categories: str | list[str], path: DocPath) -> bool:
        names = [categories] if isinstance(categories, str) else categories
        if not names:
            self.fail(path, "the list of categories is empty")
            return False
        ok = True
        for i, name in enumerate(names):
            if not _CATEGORY.match(name):
                where = path if isinstance(categories, str) else (*path, i)
                self.fail(where, f"category '{name}' must be dotted lower case, e.g. community.hostility")
                ok = False
        return ok

    def _parent(self, parent: schema.ParentParams, path: DocPath) -> bool:
        if parent.category is None and parent.verdict is None:
            self.fail(path, "say which posts count: a 'category', a 'verdict' (at least), or both")
            return False
        return parent.category is None or self._categories(parent.category, (*path, "category"))

    def _example_context(self, examples: schema.ExamplesSpec, path: DocPath) -> bool:
        """An example's `parent` and its context's parents name posts of its context."""
        ok = True
        for key in ("match", "no_match"):
            for i, example in enumerate(getattr(examples, key)):
                if isinstance(example, str):
                    continue
                where = (*path, key, i)
                seen: set[str] = set()
                for j, turn in enumerate(example.context):
                    if turn.parent is not None and turn.parent not in seen:
                        self.fail((*where, "context", j, "parent"),
                                  f"'{turn.parent}' is not an earlier post of this example's context")  # fmt: skip
                        ok = False
                    if turn.categories:
                        ok = self._categories(turn.categories, (*where, "context", j, "categories")) and ok
                    seen.add(turn.id)
                if example.parent is not None and example.parent not in seen:
                    self.fail((*where, "parent"), f"'{example.parent}' is not a post of this example's context",
                              "add it to 'context' with its author, categories and verdict")  # fmt: skip
                    ok = False
        return ok

    def _phrases(self, phrases: list[str], path: DocPath) -> bool:
        if not phrases:
            self.fail(path, "the list of phrases is empty")
            return False
        ok = True
        for i, phrase in enumerate(phrases):
            if not phrase.strip().rstrip("*").strip():
                self.fail((*path, i), "an empty phrase matches nothing")
                ok = False
            elif not fold_phrase(phrase.strip().rstrip("*")):
                # Phrases are matched as whole words of the folded text, where punctuation is
                # space: a phrase of punctuation alone would match between every two words.
                self.fail(
                    (*path, i),
                    f"the phrase {phrase!r} has no letters or digits, so it would match between any two "
                    "words; match punctuation with a regex",
                )
                ok = False
        return ok

    def _window(self, within: int, path: DocPath) -> bool:
        if within < 0 or within > 50:
            self.fail(path, "'within' counts words and must be between 0 and 50")
            return False
        return True

    def _regex(self, pattern: str, path: DocPath) -> bool:
        try:
            compile_regex(pattern)
        except re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            self.fail(path, f"regex {pattern!r} has no linear-time guarantee: {detail}",
                      "back-references, look-ahead/behind and possessive quantifiers need "
                      "backtracking; rewrite without them (RE2 syntax)")  # fmt: skip
            return False
        return True

    # --- rules --------------------------------------------------------------

    def unless(self, value: Any, path: DocPath) -> tuple[list[schema.NegationParams], list[schema.MatcherSpec]] | None:
        if value is None:
            return [], []
        if not isinstance(value, list):
            self.fail(path, "'unless' takes a list of exceptions")
            return None
        negations: list[schema.NegationParams] = []
        vetoes: list[schema.MatcherSpec] = []
        ok = True
        for i, entry in enumerate(value):
            where = (*path, i)
            is_negation = (
                isinstance(entry, dict)
                and set(entry) == {"near"}
                and isinstance(entry["near"], dict)
                and "to" not in entry["near"]
            )
            if is_negation:
                negation = self.convert(entry, schema.NegationSpec, where)
                if negation is None or not self._phrases(negation.near.phrases, (*where, "near", "phrases")):
                    ok = False
                    continue
                ok = self._window(negation.near.within, (*where, "near", "within")) and ok
                negations.append(negation.near)
            else:
                veto = self.matcher(entry, where)
                if veto is None:
                    ok = False
                else:
                    vetoes.append(veto)
        return (negations, vetoes) if ok else None

    def actions(self, value: Any, path: DocPath, templates: set[str]) -> list[schema.ActionSpec] | None:
        if not isinstance(value, list):
            self.fail(path, "'actions' takes a list, e.g. [flag_for_review] (use [] for none)")
            return None
        kinds = ", ".join(schema.ACTION_PARAMS)
        parsed: list[schema.ActionSpec] = []
        ok = True
        for i, entry in enumerate(value):
            where = (*path, i)
            if isinstance(entry, str):
                kind, params = entry, None
            elif isinstance(entry, dict) and len(entry) == 1:
                kind, params = next(iter(entry.items()))
                where_params: DocPath = (*where, kind)
            else:
                self.fail(where, f"an action is a kind name or a one-key mapping; kinds: {kinds}")
                ok = False
                continue
            if kind not in schema.ACTION_PARAMS:
                self.fail(where if isinstance(entry, str) else (*where, kind),
                          f"unknown action kind '{kind}'; expected one of {kinds}",
                          _did_you_mean(kind, tuple(schema.ACTION_PARAMS)), key=not isinstance(entry, str))  # fmt: skip
                ok = False
                continue
            where_params = where if isinstance(entry, str) else (*where, kind)
            converted = self.convert(params or {}, schema.ACTION_PARAMS[kind], where_params)
            if converted is None:
                ok = False
                continue
            template = getattr(converted, "template", None)
            if template is not None and template not in templates:
                known = ", ".join(sorted(templates)) or "none"
                self.fail((*where_params, "template"), f"unknown template '{template}' (known: {known})",
                          _did_you_mean(template, sorted(templates)))  # fmt: skip
                ok = False
                continue
            parsed.append(schema.ActionSpec(kind=kind, params=msgspec.to_builtins(converted)))
        return parsed if ok else None

    def rule(self, value: Any, path: DocPath, templates: set[str]) -> schema.RuleSpec | None:
        if not isinstance(value, dict):
            self.fail(path, "a rule is a mapping with id, category, severity, match and actions")
            return None
        header = self.convert(value, schema.RuleHeader, path)
        if header is None:
            return None
        ok = True
        if not _ID.match(header.id):
            self.fail((*path, "id"), f"rule id '{header.id}' must be lower case letters, digits and dashes")
            ok = False
        if not _CATEGORY.match(header.category):
            self.fail(
                (*path, "category"),
                f"category '{header.category}' must be dotted lower case, e.g. crisis.suicide",
            )
            ok = False
        ok = self._example_context(header.examples, (*path, "examples")) and ok
        if header.match is None:
            self.fail(path, "missing required key 'match'")
            ok = False
            match = None
        else:
            match = self.matcher(header.match, (*path, "match"))
        exceptions = self.unless(header.unless, (*path, "unless"))
        if header.actions is None:
            self.fail(path, "missing required key 'actions' (use [] for a rule that only reports)")
            actions = None
        else:
            actions = self.actions(header.actions, (*path, "actions"), templates)
        if not ok or match is None or exceptions is None or actions is None:
            return None
        line, _ = self.source.value_at(path)
        return schema.RuleSpec(
            header=header, match=match, negations=exceptions[0], vetoes=exceptions[1],
            actions=actions, line=line,
        )  # fmt: skip

    def policy(self, value: Any, templates: set[str]) -> schema.PolicySpec | None:
        if not isinstance(value, dict):
            self.fail((), "a policy file holds one mapping with id, description, mode and rules")
            return None
        header = self.convert(value, schema.PolicyHeader, ())
        if header is None:
            # Still check the rules, so that one bad top-level key hides nothing else.
            raw_rules = value.get("rules")
            for i, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
                self.rule(raw, ("rules", i), templates)
            return None
        ok = True
        if not _ID.match(header.id):
            self.fail(("id",), f"policy id '{header.id}' must be lower case letters, digits and dashes")
            ok = False
        if not header.rules:
            self.fail(("rules",), "a policy needs at least one rule")
            ok = False
        rules: list[schema.RuleSpec] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(header.rules):
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and raw_id in seen:
                self.fail(("rules", i, "id"), f"duplicate rule id '{raw_id}' (first at line {seen[raw_id]})")
                ok = False
            elif isinstance(raw_id, str):
                seen[raw_id] = self.source.value_at(("rules", i, "id"))[0]
            rule = self.rule(raw, ("rules", i), templates)
            if rule is None:
                ok = False
                continue
            rules.append(rule)
        if not ok:
            return None
        return schema.PolicySpec(
            id=header.id, description=header.description, mode=header.mode, rules=rules,
            file=str(self.source.file),
        )  # fmt: skip


def _read_templates(root: Path, folder: PolicyFolder) -> None:
    directory = root / "templates"
    if not directory.is_dir():
        return
    for file in sorted(directory.glob("*.md")):
        name, _, locale = file.stem.partition(".")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            folder.errors.append(PolicyError(file, 1, 1, f"cannot read the template: {exc}"))
            continue
        folder.templates.setdefault(name, {})[locale or "default"] = text.strip() + "\n"
    for name, variants in folder.templates.items():
        if "default" not in variants:
            some = directory / f"{name}.{next(iter(variants))}.md"
            folder.errors.append(
                PolicyError(some, 1, 1, f"template '{name}' has locale variants but no {name}.md to fall back on")
            )


def _read_crisis_lines(root: Path, folder: PolicyFolder) -> None:
    file = root / "resources" / "crisis-lines.yaml"
    if not file.exists():
        return
    value, source, errors = read_yaml(file)
    folder.errors.extend(errors)
    if value is None:
        return
    checker = _FileChecker(source, folder.errors)
    if not isinstance(value, dict):
        checker.fail((), "crisis lines are a mapping from region code (US, GB, …, default) to a list of lines")
        return
    for region, lines in value.items():
        converted = checker.convert(lines, list[schema.CrisisLine], (region,))
        if converted is not None:
            folder.crisis_lines[region.upper() if region != "default" else region] = converted
    if folder.crisis_lines and "default" not in folder.crisis_lines:
        checker.fail((), "crisis lines need a 'default' entry for posts from other regions")


MODEL_SUFFIX = ".json.gz"


def read_model(file: Path) -> TextModel:
    """One model file; raises ValueError saying what is wrong with it."""
    try:
        raw = file.read_bytes()
        model = msgspec.json.decode(gzip.decompress(raw), type=TextModel)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error, msgspec.DecodeError) as exc:
        raise ValueError(f"not a Haven model file: {exc}") from exc
    if model.format != 1:
        raise ValueError(f"model format {model.format} is not one this Haven reads (1)")
    # The version is the file's content, so a decision names exactly the weights that judged it.
    return msgspec.structs.replace(model, version=hashlib.sha256(raw).hexdigest()[:12])


def model_files(root: Path) -> dict[str, Path]:
    """The model files a folder's rules may name: its own `models/`, or, when it has none,
    the models shipped with Haven's default pack (a ConfigMap of YAML cannot carry them)."""
    directory = root / "models"
    if not directory.is_dir():
        directory = default_pack_dir() / "models"
    return {file.name.removesuffix(MODEL_SUFFIX): file for file in sorted(directory.glob(f"*{MODEL_SUFFIX}"))}


def _models_in(spec: schema.MatcherSpec) -> set[str]:
    if isinstance(spec, schema.CombinatorSpec):
        return set().union(*(_models_in(child) for child in spec.children))
    return {spec.classifier.model} if isinstance(spec, schema.ClassifierSpec) else set()


def models_named(rule: schema.RuleSpec) -> set[str]:
    """The learned models a rule asks, in its match or its exceptions."""
    return _models_in(rule.match).union(*(_models_in(v) for v in rule.vetoes))


def _models_wanted(files: dict[str, Path], folder: PolicyFolder) -> list[str]:
    wanted: set[str] = set()
    for policy in folder.policies:
        for rule in policy.rules:
            wanted |= models_named(rule)
    return sorted(wanted & set(files))


def _read_models(files: dict[str, Path], folder: PolicyFolder) -> None:
    """Reads the models the folder's rules name, and only those: a model file is large."""
    for name in _models_wanted(files, folder):
        try:
            model = read_model(files[name])
        except ValueError as exc:
            folder.errors.append(PolicyError(files[name], 1, 1, str(exc), "retrain it with `haven models train`"))
            continue
        if model.name != name:
            folder.errors.append(PolicyError(files[name], 1, 1, f"the file holds model '{model.name}', not '{name}'"))
            continue
        folder.models[name] = model


def policy_files(root: Path) -> list[Path]:
    """Every file of a policy folder, following symbolic links (a Kubernetes ConfigMap mount is
    links into a hidden `..data` folder) and skipping hidden entries."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root, followlinks=True):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory) / name for name in files if not name.startswith("."))
    return sorted(found)


def folder_version(root: Path, models: list[Path] | None = None) -> str:
    """A hash of the base set's policies, templates and resources (not the community layers
    kept under it), and of the model files its rules use (wherever they live), so a new model
    is a new version."""
    digest = hashlib.sha256()
    files = [
        f for f in policy_files(root)
        if f.suffix in (".yaml", ".yml", ".md") and f.relative_to(root).parts[0] != LAYERS_FOLDER
    ]  # fmt: skip
    for file in [*files, *(models or [])]:
        digest.update(file.name.encode() if file in (models or []) else str(file.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


# Subfolders the loader reads: templates/, resources/crisis-lines.yaml, and community layers.
LAYERS_FOLDER = "communities"


def _report_stray_files(root: Path, errors: list[PolicyError]) -> None:
    """A policy file the loader would not read is an error, never silently ignored."""
    for file in policy_files(root):
        if file.suffix not in (".yaml", ".yml") or file.parent == root:
            continue
        relative = file.relative_to(root)
        if relative.parts[0] == LAYERS_FOLDER or relative == Path("resources", "crisis-lines.yaml"):
            continue
        errors.append(
            PolicyError(
                file, 1, 1, f"'{relative}' is in a subfolder, so it is not loaded",
                f"move it to the top of {root}, or to {LAYERS_FOLDER}/<community>/ to apply to one community",
            )
        )  # fmt: skip


def read_context(file: Path) -> tuple[list[schema.TurnSpec], list[PolicyError]]:
    """A conversation's earlier decisions from a YAML or JSON list (`haven policy explain --context`)."""
    value, source, errors = read_yaml(file)
    if errors:
        return [], errors
    checker = _FileChecker(source, errors)
    turns = checker.convert(value if value is not None else [], list[schema.TurnSpec], ())
    return (turns or []), errors


def read_policy_folder(root: Path, *, read_models: bool = True) -> PolicyFolder:
    """`read_models=False` leaves the model files unread (the rules alone need none of their
    tens of MiB); the version still names them, so it is the whole pack's version."""
    folder = PolicyFolder(root=root)
    if not root.is_dir():
        folder.errors.append(PolicyError(root, 1, 1, "not a folder of policy files"))
        return folder
    _read_templates(root, folder)
    _read_crisis_lines(root, folder)
    models = model_files(root)
    files = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
    _report_stray_files(root, folder.errors)
    if not files:
        folder.errors.append(PolicyError(root, 1, 1, "no policy files (*.yaml) in this folder"))
    seen: dict[str, Path] = {}
    for file in files:
        value, source, errors = read_yaml(file)
        folder.errors.extend(errors)
        folder.sources[str(file)] = source
        if value is None:
            continue
        checker = _FileChecker(source, folder.errors, frozenset(models))
        policy = checker.policy(value, set(folder.templates))
        if policy is None:
            continue
        if policy.id in seen:
            checker.fail(("id",), f"duplicate policy id '{policy.id}' (also in {seen[policy.id]})")
            continue
        seen[policy.id] = file
        folder.policies.append(policy)
    if read_models:
        _read_models(models, folder)
        named = sorted(folder.models)
    else:
        named = _models_wanted(models, folder)
    folder.version = folder_version(root, [models[name] for name in named])
    return folder


# What policy/layers.py reuses to read a layer's documents exactly as a folder's files.
FileChecker = _FileChecker
ID_PATTERN = _ID
did_you_mean = _did_you_mean
read_templates = _read_templates
read_crisis_lines = _read_crisis_lines
