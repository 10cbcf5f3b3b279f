from enum import StrEnum


class AcceptedQueue(StrEnum):
    CRISIS = "crisis"
    DEFAULT = "default"

    def __str__(self) -> str:
        return str(self.value)
