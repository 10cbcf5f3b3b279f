from enum import StrEnum


class EvidenceField(StrEnum):
    BODY = "body"
    TITLE = "title"

    def __str__(self) -> str:
        return str(self.value)
