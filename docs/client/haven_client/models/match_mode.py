from enum import StrEnum


class MatchMode(StrEnum):
    ENFORCE = "enforce"
    SHADOW = "shadow"

    def __str__(self) -> str:
        return str(self.value)
