from enum import StrEnum


class SubscriptionInEventTypesItem(StrEnum):
    CONVERSATION_FLAGGED = "conversation.flagged"
    DECISION_CREATED = "decision.created"
    ESCALATION_ACKNOWLEDGED = "escalation.acknowledged"
    ESCALATION_CREATED = "escalation.created"
    ESCALATION_REMINDER = "escalation.reminder"
    ESCALATION_UNACKNOWLEDGED = "escalation.unacknowledged"
    REVIEW_RECORDED = "review.recorded"

    def __str__(self) -> str:
        return str(self.value)
