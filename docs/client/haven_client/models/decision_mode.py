from enum import StrEnum


class DecisionMode(StrEnum):
    ENFORCE = "enforce"
    SHADOW = "shadow"

    def __str__(self) -> str:
        return str(self.value)
