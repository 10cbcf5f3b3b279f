"""Contains all the data models used in inputs/outputs"""

from .accepted import Accepted
from .accepted_queue import AcceptedQueue
from .accepted_status import AcceptedStatus
from .acknowledge_in import AcknowledgeIn
from .action import Action
from .action_attempt import ActionAttempt
from .action_params import ActionParams
from .action_report import ActionReport
from .action_target import ActionTarget
from .attempt import Attempt
from .author import Author
from .batch_accepted import BatchAccepted
from .claim import Claim
from .claim_in import ClaimIn
from .claim_links import ClaimLinks
from .comparison import Comparison
from .comparison_by_category import ComparisonByCategory
from .comparison_by_verdict import ComparisonByVerdict
from .consumer_health import ConsumerHealth
from .consumer_health_state import ConsumerHealthState
from .conversation_evidence import ConversationEvidence
from .decision import Decision
from .decision_history import DecisionHistory
from .decision_list import DecisionList
from .decision_mode import DecisionMode
from .decision_resource import DecisionResource
from .decision_resource_status import DecisionResourceStatus
from .delivery_report import DeliveryReport
from .escalation import Escalation
from .evidence import Evidence
from .evidence_field import EvidenceField
from .explain_in import ExplainIn
from .explain_out import ExplainOut
from .failed_actions import FailedActions
from .field_error import FieldError
from .health import Health
from .held_post import HeldPost
from .held_post_status import HeldPostStatus
from .history_entry import HistoryEntry
from .history_entry_kind import HistoryEntryKind
from .match import Match
from .match_mode import MatchMode
from .match_severity import MatchSeverity
from .model_score import ModelScore
from .parked_list import ParkedList
from .platform_action import PlatformAction
from .policy_list import PolicyList
from .policy_out import PolicyOut
from .post import Post
from .post_batch import PostBatch
from .post_kind import PostKind
from .post_ref import PostRef
from .post_ref_kind import PostRefKind
from .problem_details import ProblemDetails
from .protected_identity_in import ProtectedIdentityIn
from .protected_identity_out import ProtectedIdentityOut
from .queue import Queue
from .queue_entry import QueueEntry
from .queue_entry_links import QueueEntryLinks
from .queue_state import QueueState
from .readiness import Readiness
from .readiness_consumers import ReadinessConsumers
from .readiness_mode import ReadinessMode
from .readiness_plugins_off import ReadinessPluginsOff
from .review import Review
from .review_in import ReviewIn
from .review_in_outcome import ReviewInOutcome
from .review_outcome import ReviewOutcome
from .rule_change import RuleChange
from .rule_change_by_verdict import RuleChangeByVerdict
from .rule_out import RuleOut
from .subscription_created import SubscriptionCreated
from .subscription_in import SubscriptionIn
from .subscription_in_event_types_item import SubscriptionInEventTypesItem
from .subscription_out import SubscriptionOut
from .text_range import TextRange
from .text_range_field import TextRangeField
from .timings import Timings
from .version_out import VersionOut

__all__ = (
    "Accepted",
    "AcceptedQueue",
    "AcceptedStatus",
    "AcknowledgeIn",
    "Action",
    "ActionAttempt",
    "ActionParams",
    "ActionReport",
    "ActionTarget",
    "Attempt",
    "Author",
    "BatchAccepted",
    "Claim",
    "ClaimIn",
    "ClaimLinks",
    "Comparison",
    "ComparisonByCategory",
    "ComparisonByVerdict",
    "ConsumerHealth",
    "ConsumerHealthState",
    "ConversationEvidence",
    "Decision",
    "DecisionHistory",
    "DecisionList",
    "DecisionMode",
    "DecisionResource",
    "DecisionResourceStatus",
    "DeliveryReport",
    "Escalation",
    "Evidence",
    "EvidenceField",
    "ExplainIn",
    "ExplainOut",
    "FailedActions",
    "FieldError",
    "Health",
    "HeldPost",
    "HeldPostStatus",
    "HistoryEntry",
    "HistoryEntryKind",
    "Match",
    "MatchMode",
    "MatchSeverity",
    "ModelScore",
    "ParkedList",
    "PlatformAction",
    "PolicyList",
    "PolicyOut",
    "Post",
    "PostBatch",
    "PostKind",
    "PostRef",
    "PostRefKind",
    "ProblemDetails",
    "ProtectedIdentityIn",
    "ProtectedIdentityOut",
    "Queue",
    "QueueEntry",
    "QueueEntryLinks",
    "QueueState",
    "Readiness",
    "ReadinessConsumers",
    "ReadinessMode",
    "ReadinessPluginsOff",
    "Review",
    "ReviewIn",
    "ReviewInOutcome",
    "ReviewOutcome",
    "RuleChange",
    "RuleChangeByVerdict",
    "RuleOut",
    "SubscriptionCreated",
    "SubscriptionIn",
    "SubscriptionInEventTypesItem",
    "SubscriptionOut",
    "TextRange",
    "TextRangeField",
    "Timings",
    "VersionOut",
)
