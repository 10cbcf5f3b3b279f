"""Protected identities: names and handles a member must not be linked to, known only as keyed hashes.

A moderator registers a member's real name or other accounts; Haven keeps an
HMAC-SHA256 of each name, folded the way post text is folded (case, accents,
look-alike letters, spacing and punctuation between words), under a secret of
the community's own. Matching a post hashes its 1- to 4-word windows with the
same secret and looks them up, so no name is ever held in clear.

Hashing every window of every post would cost more than the rest of the
engine, so each name also keeps the keyed hash of its first word: a post's
distinct words are hashed once (and remembered, see `ProtectedNames`), and
only windows starting at a word that opens some protected name are hashed
whole.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from haven.policy.normalise import normalise, word_view

MAX_WORDS = 4
# Words as matching sees them: runs of letters, digits and underscores (handles keep theirs),
# the words of `word_view`.
_WORD = re.compile(r"\w+")
# "@sunny_m" and "u/sunny_m" name the same account as "sunny_m".
_HANDLE_PREFIX = re.compile(r"^\s*(?:/?u/|@)", re.IGNORECASE)
# Words remembered per community before the memo starts afresh.
MEMO_LIMIT = 200_000
# What a decision says of a protected name: the matcher's label, and the name's place in a snippet.
PROTECTED_IDENTITY = "protected identity"
PROTECTED_MASK = "[protected name]"

Span = tuple[int, int]


def fold_name(name: str) -> str:
    """A name as matching reads it: folded words joined by one space.

    Raises ValueError for a name with no words or more than `MAX_WORDS`.
    """
    words = word_view(normalise(_HANDLE_PREFIX.sub("", name)).text).split()
    if not words:
        raise ValueError("a name needs at least one letter or digit")
    if len(words) > MAX_WORDS:
        raise ValueError(f"a name has at most {MAX_WORDS} words")
    return " ".join(words)


def name_digest(secret: bytes, folded: str) -> str:
    """The keyed hash stored for a folded name (or for its first word)."""
    return hmac.new(secret, folded.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ProtectedName:
    """What is stored of one name: its keyed hash, its first word's, and whose it is."""

    digest: str
    head: str
    member: str | None = None

    @classmethod
    def of(cls, secret: bytes, name: str, member: str | None = None) -> ProtectedName:
        folded = fold_name(name)
        return cls(name_digest(secret, folded), name_digest(secret, folded.split(" ", 1)[0]), member)


class ProtectedNames:
    """One community's protected names, ready to be found in posts.

    `find` remembers which words it has hashed (and whether each opens a
    protected name), so that a community's everyday words are hashed once per
    process, not once per post. The memo holds words of posts, in memory only;
    it changes no result, so evaluation stays deterministic.
    """

    def __init__(self, secret: bytes, names: Iterable[ProtectedName]) -> None:
        self._secret = secret
        self._owners: dict[str, frozenset[str]] = {}
        heads: set[str] = set()
        for name in names:
            owners = self._owners.get(name.digest, frozenset())
            self._owners[name.digest] = owners | ({name.member} if name.member else {""})
            heads.add(name.head)
        self._heads = frozenset(heads)
        # (words hashed, those among them that open a protected name): replaced whole when full.
        self._memo: tuple[set[str], set[str]] = (set(), set())

    def __len__(self) -> int:
        return len(self._owners)

    def _learn(self, words: set[str]) -> None:
        known, opening = self._memo
        if len(known) + len(words) > MEMO_LIMIT:
            known, opening = set(), set()
            self._memo = (known, opening)
        secret, heads = self._secret, self._heads
        for word in words:
            if name_digest(secret, word) in heads:
                opening.add(word)  # before `known`: a word seen as known is always classified
            known.add(word)

    def find(self, text: str, author_id: str | None = None, *, view: str | None = None) -> list[Span]:
        """Spans of `text` (already normalised) that are protected names, longest first at each
        start; a name registered for `author_id` alone is theirs to use and is not reported.

        `view` is `word_view(text)` when the caller has it already.
        """
        if not self._owners:
            return []
        # The common case costs a split and two set operations in C: every word seen before,
        # none of them the first word of a protected name.
        words = (view if view is not None else word_view(text)).split()
        known, opening = self._memo
        if not known.issuperset(words):
            self._learn(set(words) - known)
            known, opening = self._memo
        if opening.isdisjoint(words):
            return []
        found = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        spans: list[Span] = []
        for index, (word, start, _) in enumerate(found):
            if word not in opening or (spans and start < spans[-1][1]):
                continue
            for length in range(min(MAX_WORDS, len(found) - index), 0, -1):
                window = found[index : index + length]
                owners = self._owners.get(name_digest(self._secret, " ".join(w for w, _, _ in window)))
                if owners is not None and owners != {author_id}:
                    spans.append((start, window[-1][2]))
                    break
        return spans


class IdentityLookup(Protocol):
    """Where the engine finds a community's protected names: the engine's second input
    besides the counters (the service reads them from its store, tests pass them in)."""

    def protected(self, community: str) -> ProtectedNames | None: ...


class InMemoryIdentities:
    """Protected names held in memory: `haven policy test`, the benchmarks and tests."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}
        self._names: dict[str, list[ProtectedName]] = {}
        self._built: dict[str, ProtectedNames] = {}

    def register(self, community: str, names: Iterable[str], member: str | None = None) -> None:
        secret = self._secrets.setdefault(community, secrets.token_bytes(32))
        self._names.setdefault(community, []).extend(ProtectedName.of(secret, n, member) for n in names)
        self._built.pop(community, None)

    def protected(self, community: str) -> ProtectedNames | None:
        if community not in self._names:
            return None
        if community not in self._built:
            self._built[community] = ProtectedNames(self._secrets[community], self._names[community])
        return self._built[community]
