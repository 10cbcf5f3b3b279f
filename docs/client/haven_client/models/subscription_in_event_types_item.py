from enum import StrEnum


class SubscriptionInEventTypesItem(StrEnum):
    DECISION_CREATED = "decision.created"
    ESCALATION_CREATED = "escalation.created"
    REVIEW_RECORDED = "review.recorded"

    def __str__(self) -> str:
        return str(self.value)
