from enum import StrEnum


class HistoryEntryKind(StrEnum):
    ACTION = "action"
    DECIDED = "decided"
    ESCALATION_ACKNOWLEDGED = "escalation.acknowledged"
    ESCALATION_OPENED = "escalation.opened"
    ESCALATION_REMINDER = "escalation.reminder"
    ESCALATION_UNACKNOWLEDGED = "escalation.unacknowledged"
    RECEIVED = "received"
    REVIEW = "review"
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
