from enum import StrEnum


class DecisionResourceStatus(StrEnum):
    DECIDED = "decided"
    FAILED = "failed"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
