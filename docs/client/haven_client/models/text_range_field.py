from enum import StrEnum


class TextRangeField(StrEnum):
    BODY = "body"
    TITLE = "title"

    def __str__(self) -> str:
        return str(self.value)
