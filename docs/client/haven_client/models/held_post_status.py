from enum import StrEnum


class HeldPostStatus(StrEnum):
    PARKED = "parked"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
