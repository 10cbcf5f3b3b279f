from enum import StrEnum


class DecisionResourceStatus(StrEnum):
    DECIDED = "decided"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
