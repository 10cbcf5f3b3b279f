"""A community's policy set in layers: the deployment's base pack at the bottom, then the
community's layer, then a channel's.

A layer adds policies of its own, and may switch off or change single rules of the layers
below by their qualified id (`policy/rule`), or every rule of a policy by its id. Layers
merge before anything compiles: the result is one checked `PolicyFolder`, compiled by
`compile_folder` like any folder, so the engine never knows layers exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from haven.domain import Mode, Severity
from haven.policy import schema
from haven.policy.errors import PolicyError
from haven.policy.loader import (
    ID_PATTERN,
    LAYERS_FOLDER,
    FileChecker,
    PolicyFolder,
    did_you_mean,
    read_crisis_lines,
    read_templates,
)
from haven.policy.yamlsource import DocPath, parse_yaml

BASE = "base"
CHANNELS_FOLDER = "channels"
# Keys a layer's document may have besides a policy's own.
LAYER_KEYS = ("overrides", "templates", "crisis_lines")


class RuleOverride(schema._Spec, kw_only=True):
    """One `overrides:` entry: what a layer changes in rules of the layers below."""

    rule: str
    disabled: bool = False
    mode: Mode | None = None
    severity: Severity | None = None
    verdict: schema.VerdictName | None = None
    description: str | None = None
    when: schema.WhenSpec | None = None
    examples: schema.ExamplesSpec | None = None
    match: Any = None
    unless: Any = None
    actions: Any = None


_HEADER_CHANGES = ("mode", "severity", "verdict", "description", "when", "examples")


@dataclass(frozen=True)
class LayerDocument:
    """One YAML document of a layer: a file of a community's folder, or an API upload."""

    policy_id: str  # the id it is stored under (API) or its file's stem
    text: str
    origin: Path  # where its errors point: the file, or api/<community>/<policy>.yaml
    source: str  # "file" or "api"


@dataclass
class Layer:
    """A community's or a channel's documents, with the templates and crisis lines of its folder."""

    name: str  # "community:<c>" or "channel:<c>/<channel>"
    documents: list[LayerDocument] = field(default_factory=list)
    templates: dict[str, dict[str, str]] = field(default_factory=dict)
    crisis_lines: dict[str, list[schema.CrisisLine]] = field(default_factory=dict)
    errors: list[PolicyError] = field(default_factory=list)

    @property
    def version(self) -> str:
        digest = hashlib.sha256(self.name.encode())
        for document in self.documents:
            digest.update(b"\0" + document.policy_id.encode() + b"\0" + document.text.encode())
        for name, variants in sorted(self.templates.items()):
            for locale, text in sorted(variants.items()):
                digest.update(f"\0{name}.{locale}\0{text}".encode())
        digest.update(msgspec.json.encode(self.crisis_lines))
        return digest.hexdigest()[:16]


def community_layer_name(community: str) -> str:
    return f"community:{community}"


def channel_layer_name(community: str, channel: str) -> str:
    return f"channel:{community}/{channel}"


def read_layer_folder(directory: Path, name: str) -> Layer:
    """A layer kept as files: `*.yaml` at its top, `templates/` and `resources/crisis-lines.yaml`
    as in the base folder (`channels/` below a community's folder holds its channels)."""
    scratch = PolicyFolder(root=directory)
    read_templates(directory, scratch)
    read_crisis_lines(directory, scratch)
    layer = Layer(name, templates=scratch.templates, crisis_lines=scratch.crisis_lines, errors=scratch.errors)
    for file in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            layer.errors.append(PolicyError(file, 1, 1, f"cannot read the file: {exc}"))
            continue
        layer.documents.append(LayerDocument(file.stem, text, file, "file"))
    return layer


def folder_layers(root: Path) -> dict[tuple[str, str | None], Layer]:
    """Every layer kept as files under a base folder: (community, None) for a community's,
    (community, channel) for a channel's."""
    layers: dict[tuple[str, str | None], Layer] = {}
    top = root / LAYERS_FOLDER
    if not top.is_dir():
        return layers
    for community_dir in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
        community = community_dir.name
        layers[(community, None)] = read_layer_folder(community_dir, community_layer_name(community))
        channels = community_dir / CHANNELS_FOLDER
        if channels.is_dir():
            for channel_dir in sorted(p for p in channels.iterdir() if p.is_dir() and not p.name.startswith(".")):
                name = channel_layer_name(community, channel_dir.name)
                layers[(community, channel_dir.name)] = read_layer_folder(channel_dir, name)
    return layers


@dataclass
class Merged:
    """The effective set of some layers, checked, not compiled yet."""

    folder: PolicyFolder
    # Qualified ids of the rules each layer above the base defined or changed: the rules whose
    # inline examples an upload must pass.
    touched: dict[str, set[str]] = field(default_factory=dict)
    # Policy id -> (layer, source) of the document that defined it.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Layer document (layer, policy id) -> the rules it changed.
    overrides: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _copy(policy: schema.PolicySpec) -> schema.PolicySpec:
    return msgspec.structs.replace(policy, rules=list(policy.rules))


def merge_layers(base: PolicyFolder, layers: Sequence[Layer]) -> Merged:
    """The base folder with each layer applied in order; problems in `folder.errors`."""
    folder = PolicyFolder(
        root=base.root,
        policies=[_copy(p) for p in base.policies],
        templates={name: dict(variants) for name, variants in base.templates.items()},
        crisis_lines=dict(base.crisis_lines),
        # Layers bring no models of their own; the base pack's rules still need its models.
        models=base.models,
        errors=list(base.errors),
    )
    merged = Merged(folder, origins={p.id: (BASE, "file") for p in base.policies})
    digest = hashlib.sha256(base.version.encode())
    for layer in layers:
        digest.update(b"\0" + layer.version.encode())
        folder.errors.extend(layer.errors)
        for name, variants in layer.templates.items():
            folder.templates.setdefault(name, {}).update(variants)
        folder.crisis_lines.update(layer.crisis_lines)
        for document in layer.documents:
            _LayerDocumentReader(merged, layer.name, document).apply()
    folder.version = digest.hexdigest()[:16] if layers else base.version
    return merged


class _LayerDocumentReader:
    def __init__(self, merged: Merged, layer: str, document: LayerDocument) -> None:
        self.merged = merged
        self.folder = merged.folder
        self.layer = layer
        self.document = document
        self.checker: FileChecker | None = None

    def apply(self) -> None:
        value, source, errors = parse_yaml(self.document.text, self.document.origin)
        self.folder.errors.extend(errors)
        if value is None:
            return
        checker = self.checker = FileChecker(source, self.folder.errors)
        if not isinstance(value, dict):
            checker.fail((), "a policy document holds one mapping with id, rules and/or overrides")
            return
        own = {k: v for k, v in value.items() if k not in LAYER_KEYS}
        if "templates" in value:
            self._templates(value["templates"])
        if "crisis_lines" in value:
            self._crisis_lines(value["crisis_lines"])
        policy_id = own.get("id")
        if "rules" in own or "overrides" not in value:
            self._policy(own)
        elif not isinstance(policy_id, str) or not ID_PATTERN.match(policy_id):
            checker.fail(("id",), "a policy document needs an id of lower case letters, digits and dashes")
            return
        else:
            unknown = [k for k in own if k not in ("id", "description", "mode")]
            for key in unknown:
                checker.fail((key,), f"unknown key '{key}'", did_you_mean(key, [*LAYER_KEYS, "rules"]), key=True)
        if isinstance(policy_id, str):
            self._check_name(policy_id)
            changed: list[str] = []
            if "overrides" in value:
                changed = self._overrides(value["overrides"])
            self.merged.overrides[(self.layer, policy_id)] = changed

    def _check_name(self, policy_id: str) -> None:
        assert self.checker is not None
        if self.document.source == "api" and policy_id != self.document.policy_id:
            self.checker.fail(("id",), f"the document's id '{policy_id}' is not the '{self.document.policy_id}' "
                              "it is uploaded as", f"write id: {self.document.policy_id}")  # fmt: skip

    def _policy(self, value: dict[str, Any]) -> None:
        assert self.checker is not None
        policy = self.checker.policy(value, set(self.folder.templates))
        if policy is None:
            return
        if policy.id in self.merged.origins:
            below, _ = self.merged.origins[policy.id]
            self.checker.fail(("id",), f"policy '{policy.id}' is already defined in the {below} layer",
                              "change its rules with 'overrides:' in a policy of another id")  # fmt: skip
            return
        rules = [msgspec.structs.replace(r, layer=self.layer) for r in policy.rules]
        self.folder.policies.append(
            msgspec.structs.replace(policy, rules=rules, layer=self.layer, file=str(self.document.origin))
        )
        self.merged.origins[policy.id] = (self.layer, self.document.source)
        self.merged.touched.setdefault(self.layer, set()).update(f"{policy.id}/{r.header.id}" for r in rules)

    def _templates(self, value: Any) -> None:
        assert self.checker is not None
        if not isinstance(value, dict):
            self.checker.fail(("templates",), "templates are a mapping from name to text, or to texts by locale")
            return
        for name, texts in value.items():
            variants = {"default": texts} if isinstance(texts, str) else texts
            if not isinstance(variants, dict) or not all(isinstance(t, str) for t in variants.values()):
                self.checker.fail(("templates", name), f"template '{name}' is text, or a mapping from locale to text",
                                  "e.g. crisis-resources: {default: '…', en-GB: '…'}")  # fmt: skip
                continue
            for locale, text in variants.items():
                self.folder.templates.setdefault(name, {})[locale] = text.strip() + "\n"
            if "default" not in self.folder.templates[name]:
                self.checker.fail(("templates", name), f"template '{name}' has no default text to fall back on")

    def _crisis_lines(self, value: Any) -> None:
        assert self.checker is not None
        if not isinstance(value, dict):
            self.checker.fail(("crisis_lines",), "crisis lines are a mapping from region code to a list of lines")
            return
        for region, lines in value.items():
            converted = self.checker.convert(lines, list[schema.CrisisLine], ("crisis_lines", region))
            if converted is not None:
                self.folder.crisis_lines[region.upper() if region != "default" else region] = converted

    def _targets(self, name: str) -> list[tuple[int, int]]:
        """(policy index, rule index) of the rules `name` names."""
        found = []
        for p_index, policy in enumerate(self.folder.policies):
            for r_index, rule in enumerate(policy.rules):
                if name in (policy.id, f"{policy.id}/{rule.header.id}"):
                    found.append((p_index, r_index))
        return found

    def _overrides(self, value: Any) -> list[str]:
        checker = self.checker
        assert checker is not None
        if not isinstance(value, list):
            checker.fail(("overrides",), "'overrides' takes a list, e.g. [{rule: crisis/imminent-plan, mode: shadow}]")
            return []
        changed: list[str] = []
        for index, entry in enumerate(value):
            path: DocPath = ("overrides", index)
            spec = checker.convert(entry, RuleOverride, path)
            if spec is None:
                continue
            targets = self._targets(spec.rule)
            if not targets:
                known = [f"{p.id}/{r.header.id}" for p in self.folder.policies for r in p.rules]
                checker.fail((*path, "rule"), f"no rule or policy '{spec.rule}' in the layers below",
                             did_you_mean(spec.rule, known))  # fmt: skip
                continue
            change = self._change(spec, path)
            if change is None:
                continue
            names = [f"{self.folder.policies[p].id}/{self.folder.policies[p].rules[r].header.id}" for p, r in targets]
            changed.extend(names)
            if spec.disabled:
                for p_index, r_index in sorted(targets, reverse=True):
                    del self.folder.policies[p_index].rules[r_index]
                self.folder.policies = [p for p in self.folder.policies if p.rules]
                continue
            self.merged.touched.setdefault(self.layer, set()).update(names)
            for p_index, r_index in targets:
                rules = self.folder.policies[p_index].rules
                rules[r_index] = change(rules[r_index])
        return changed

    def _change(self, spec: RuleOverride, path: DocPath) -> Any:
        """A function that applies the override to one rule; None when it does not check."""
        checker = self.checker
        assert checker is not None
        match = checker.matcher(spec.match, (*path, "match")) if spec.match is not None else None
        exceptions = checker.unless(spec.unless, (*path, "unless")) if spec.unless is not None else None
        actions = (
            checker.actions(spec.actions, (*path, "actions"), set(self.folder.templates))
            if spec.actions is not None
            else None
        )
        if (spec.match is not None and match is None) or (spec.unless is not None and exceptions is None):
            return None
        if spec.actions is not None and actions is None:
            return None
        header_changes = {k: getattr(spec, k) for k in _HEADER_CHANGES if getattr(spec, k) is not None}
        layer = self.layer

        def apply(rule: schema.RuleSpec) -> schema.RuleSpec:
            changes: dict[str, Any] = {"changed_in": (*rule.changed_in, layer)}
            if header_changes:
                changes["header"] = msgspec.structs.replace(rule.header, **header_changes)
            if match is not None:
                changes["match"] = match
            if exceptions is not None:
                changes["negations"], changes["vetoes"] = exceptions
            if actions is not None:
                changes["actions"] = actions
            return msgspec.structs.replace(rule, **changes)

        return apply
