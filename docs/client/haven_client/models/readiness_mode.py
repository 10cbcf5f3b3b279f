from enum import StrEnum


class ReadinessMode(StrEnum):
    EMBEDDED = "embedded"
    FULL = "full"

    def __str__(self) -> str:
        return str(self.value)
