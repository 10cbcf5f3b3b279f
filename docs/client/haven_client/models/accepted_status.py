from enum import StrEnum


class AcceptedStatus(StrEnum):
    DUPLICATE = "duplicate"
    QUEUED = "queued"

    def __str__(self) -> str:
        return str(self.value)
