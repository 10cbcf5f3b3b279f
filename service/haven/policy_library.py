"""Each community's effective policy set, kept current in every process.

The base folder (`LivePolicies`), the community and channel layers kept as files under it
(`communities/<community>/`), and the versions of each community's layer uploaded through
the API (in the database) make one set per community and channel. Each set compiles once
per content and is cached, so a change to one community never recompiles another's; the
database's small table of active versions is read at most once per `reload_seconds`, so a
new active version reaches every worker within seconds, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from haven.domain import Post
from haven.policy import PolicyError, PolicyLoadError, PolicySet, load_policy_set
from haven.policy.compiler import compile_folder
from haven.policy.examples import run_examples
from haven.policy.layers import (
    CHANNELS_FOLDER,
    Layer,
    LayerDocument,
    Merged,
    channel_layer_name,
    community_layer_name,
    folder_layers,
    merge_layers,
)
from haven.policy.loader import folder_version, policy_files
from haven.store.records import PolicyVersion

log = logging.getLogger("haven.policies")

# Compiled sets kept per process: far more than the communities one worker sees at once.
CACHE_SIZE = 256
API_ORIGIN = Path("api")


class PolicyVersions(Protocol):
    def policy_heads(self) -> dict[str, tuple[int | None, int | None]]: ...

    def policy_version(self, community: str, version: int) -> PolicyVersion | None: ...


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    entries = []
    for path in policy_files(directory):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class LivePolicies:
    """The base set of a folder, and the layers kept as files under it, reloaded when its
    files change.

    A change is noticed within `reload_seconds`. A change that does not load (a YAML error)
    is logged and the last good set stays in force. The base set recompiles only when a
    file of its own changes, not when a community's folder does.
    """

    def __init__(self, directory: Path, reload_seconds: float = 1.0) -> None:
        self.directory = directory
        self._interval = reload_seconds
        self._lock = threading.Lock()
        self._fingerprint = _fingerprint(directory)
        self._current = load_policy_set(directory)
        self._layers = folder_layers(directory)
        self._checked = time.monotonic()

    @property
    def layers(self) -> dict[tuple[str, str | None], Layer]:
        """The community and channel layers kept as files: (community, channel or None) -> layer."""
        self.current()
        return self._layers

    def current(self) -> PolicySet:
        now = time.monotonic()
        if now - self._checked < self._interval:
            return self._current
        with self._lock:
            self._checked = now
            fingerprint = _fingerprint(self.directory)
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self._layers = folder_layers(self.directory)
                if folder_version(self.directory) != self._current.version:
                    self._reload()
        return self._current

    def _reload(self) -> None:
        try:
            fresh = load_policy_set(self.directory)
        except Exception as exc:
            # Imported here: the CLI imports this module before `haven worker` sets up the
            # metrics of its processes, which importing haven.metrics would fix too early.
            from haven import metrics

            # Whatever went wrong, the last good set keeps serving.
            metrics.POLICY_RELOAD_FAILURES.inc()
            errors = exc.errors if isinstance(exc, PolicyLoadError) else []
            log.error(
                "policy.reload_failed",
                extra={
                    "policy_dir": str(self.directory),
                    "count": len(errors),
                    "first_error": str(errors[0]) if errors else type(exc).__name__,
                    "policy_version": self._current.version,
                },
            )
            return
        if fresh.version != self._current.version:
            log.info("policy.reloaded", extra={"policy_version": fresh.version})
        self._current = fresh


def channel_key(channel: str, policy_id: str) -> str:
    return f"{CHANNELS_FOLDER}/{channel}/{policy_id}"


def split_key(key: str) -> tuple[str | None, str]:
    """(channel or None, policy id) of a stored document's key."""
    if key.startswith(CHANNELS_FOLDER + "/"):
        _, channel, policy_id = key.split("/", 2)
        return channel, policy_id
    return None, key


def channel_of(post: Post, channels: Sequence[str]) -> str | None:
    """The channel layer that applies to a post: its thread id, or the channel part of a
    `channel:ts` id as the Slack adapter writes them."""
    if not channels:
        return None
    candidates = [post.thread_id, *(i.split(":", 1)[0] for i in (post.thread_id, post.external_id) if i)]
    return next((c for c in candidates if c in channels), None)


def api_layers(community: str, documents: dict[str, str]) -> tuple[list[LayerDocument], dict[str, list[LayerDocument]]]:
    """A stored version's documents: the community's own, and each channel's."""
    own: list[LayerDocument] = []
    channels: dict[str, list[LayerDocument]] = {}
    for key, text in sorted(documents.items()):
        channel, policy_id = split_key(key)
        document = LayerDocument(policy_id, text, API_ORIGIN / community / f"{key}.yaml", "api")
        (own if channel is None else channels.setdefault(channel, [])).append(document)
    return own, channels


@dataclass(frozen=True)
class Effective:
    """A compiled set and what it is made of."""

    policy_set: PolicySet
    merged: Merged
    version: int | None  # the community's API version in it, None when it has none


class PolicyLibrary:
    def __init__(self, live: LivePolicies, versions: PolicyVersions | None, reload_seconds: float = 1.0) -> None:
        self.live = live
        self._versions = versions
        self._interval = reload_seconds
        self._lock = threading.Lock()
        self._heads: dict[str, tuple[int | None, int | None]] = {}
        self._heads_read = float("-inf")
        self._documents: dict[tuple[str, int], dict[str, str]] = {}
        self._compiled: OrderedDict[tuple[str, str], Effective] = OrderedDict()

    def current(self) -> PolicySet:
        """The base set (the deployment's pack), as judged for a community with no layers."""
        return self.live.current()

    def heads(self) -> dict[str, tuple[int | None, int | None]]:
        if self._versions is None:
            return {}
        now = time.monotonic()
        if now - self._heads_read >= self._interval:
            try:
                self._heads = self._versions.policy_heads()
            except Exception:
                # The database away: judge with the versions last seen rather than fail.
                log.warning("policy.heads_unavailable")
            self._heads_read = now
        return self._heads

    def heads_now(self) -> dict[str, tuple[int | None, int | None]]:
        """The versions as the database has them this moment (for the API's own answers)."""
        self.forget_heads()
        return self.heads()

    def forget_heads(self) -> None:
        self._heads_read = float("-inf")

    def stored_documents(self, community: str, version: int | None) -> dict[str, str]:
        """The documents of a stored version (a copy; versions never change once stored)."""
        if version is None or self._versions is None:
            return {}
        key = (community, version)
        if key not in self._documents:
            found = self._versions.policy_version(community, version)
            if found is None:
                return {}
            self._documents[key] = found.documents
        return dict(self._documents[key])

    def layers(self, community: str, channel: str | None, documents: dict[str, str] | None) -> list[Layer]:
        """The layers above the base for a community (and channel): files first, then the API's."""
        files = self.live.layers
        own, by_channel = api_layers(community, documents or {})
        wanted: list[tuple[str | None, str, list[LayerDocument]]] = [(None, community_layer_name(community), own)]
        if channel is not None:
            wanted.append((channel, channel_layer_name(community, channel), by_channel.get(channel, [])))
        layers = []
        for key, name, uploaded in wanted:
            kept = files.get((community, key)) or Layer(name)
            # Files first, then uploads: an upload may not take a file's policy id (the API refuses it).
            layer = Layer(name, [*kept.documents, *uploaded], kept.templates, kept.crisis_lines, list(kept.errors))
            if layer.documents or layer.templates or layer.crisis_lines or layer.errors:
                layers.append(layer)
        return layers

    def channels(self, community: str, documents: dict[str, str] | None) -> list[str]:
        _, by_channel = api_layers(community, documents or {})
        return sorted({*by_channel, *(ch for c, ch in self.live.layers if c == community and ch is not None)})

    def effective(self, community: str, channel: str | None = None, version: int | None = -1) -> Effective:
        """The compiled set of a community (and channel) at an API version (-1: the active one).

        Raises PolicyLoadError when the layers do not load (only files can make that happen:
        uploads are checked before they are stored)."""
        if version == -1:
            version = self.heads().get(community, (None, None))[0]
        documents = self.stored_documents(community, version)
        base = self.current()
        layers = self.layers(community, channel, documents)
        if not layers:
            return Effective(base, Merged(base.folder()), version)
        merged = merge_layers(base.folder(), layers)
        key = (community, merged.folder.version)
        with self._lock:
            cached = self._compiled.get(key)
            if cached is not None:
                self._compiled.move_to_end(key)
                return cached
        if merged.folder.errors:
            raise PolicyLoadError(merged.folder.errors)
        effective = Effective(compile_folder(merged.folder), merged, version)
        self._keep(key, effective)
        return effective

    def _keep(self, key: tuple[str, str], effective: Effective) -> None:
        with self._lock:
            self._compiled[key] = effective
            while len(self._compiled) > CACHE_SIZE:
                self._compiled.popitem(last=False)

    def _for(self, post: Post, version: int | None) -> PolicySet:
        documents = self.stored_documents(post.community, version)
        channel = channel_of(post, self.channels(post.community, documents))
        try:
            return self.effective(post.community, channel, version).policy_set
        except PolicyLoadError as exc:
            # A community's folder that does not load: its posts are judged by the base pack
            # rather than not at all, and the errors are logged for the operator.
            log.error("policy.layer_failed", extra={"community": post.community, "count": len(exc.errors)})
            return self.current()

    def for_post(self, post: Post) -> PolicySet:
        return self._for(post, self.heads().get(post.community, (None, None))[0])

    def candidate_for(self, post: Post) -> tuple[int, PolicySet] | None:
        """The candidate version judging the post's community in shadow, if there is one."""
        candidate = self.heads().get(post.community, (None, None))[1]
        return (candidate, self._for(post, candidate)) if candidate is not None else None

    def communities(self) -> list[str]:
        """The communities with a layer kept as files."""
        return sorted({community for community, _ in self.live.layers})

    def check(
        self, community: str, documents: dict[str, str], *, examples: bool = True
    ) -> tuple[list[PolicyError], int]:
        """Every problem of a community's layer with these documents: loading, compiling, and
        (with `examples`) the inline examples of every rule the community's and its channels'
        layers define or change. Returns (errors, examples run)."""
        errors: list[PolicyError] = []
        runs = 0
        for channel in [None, *self.channels(community, documents)]:
            base = self.current()
            merged = merge_layers(base.folder(), self.layers(community, channel, documents))
            if merged.folder.errors:
                errors += merged.folder.errors
                continue
            try:
                policy_set = compile_folder(merged.folder)
            except PolicyLoadError as exc:
                errors += exc.errors
                continue
            # Kept: the version about to be stored judges its first post without compiling again.
            self._keep((community, merged.folder.version), Effective(policy_set, merged, None))
            if not examples:
                continue
            touched = set().union(*merged.touched.values()) if merged.touched else set()
            count, failures = run_examples(policy_set, only=touched)
            runs += count
            for failure in failures:
                origin = Path(failure.rule.file)
                errors.append(PolicyError(origin, failure.rule.line, 1, str(failure).split(": ", 1)[-1],
                                          "fix the rule or its examples"))  # fmt: skip
        return list(dict.fromkeys(errors)), runs
