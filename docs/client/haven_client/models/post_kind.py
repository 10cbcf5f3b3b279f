from enum import StrEnum


class PostKind(StrEnum):
    COMMENT = "comment"
    MESSAGE = "message"
    POST = "post"

    def __str__(self) -> str:
        return str(self.value)
