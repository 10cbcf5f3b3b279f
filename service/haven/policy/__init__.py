"""The policy language and its engine: pure domain code, no network or database I/O."""

from haven.policy.compiler import CompiledRule, PolicySet, load_policy_set
from haven.policy.conversations import ConversationStore, InMemoryConversationStore
from haven.policy.counters import CounterStore, InMemoryCounterStore
from haven.policy.engine import crisis_prone, evaluate, evaluate_in_batches, is_crisis_prone, prepare
from haven.policy.errors import PolicyError, PolicyLoadError
from haven.policy.identities import IdentityLookup, InMemoryIdentities, ProtectedName, ProtectedNames

__all__ = [
    "CompiledRule",
    "ConversationStore",
    "CounterStore",
    "IdentityLookup",
    "InMemoryConversationStore",
    "InMemoryCounterStore",
    "InMemoryIdentities",
    "PolicyError",
    "PolicyLoadError",
    "PolicySet",
    "ProtectedName",
    "ProtectedNames",
    "crisis_prone",
    "evaluate",
    "evaluate_in_batches",
    "is_crisis_prone",
    "load_policy_set",
    "prepare",
]
