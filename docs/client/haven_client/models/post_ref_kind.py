from enum import StrEnum


class PostRefKind(StrEnum):
    COMMENT = "comment"
    MESSAGE = "message"
    POST = "post"

    def __str__(self) -> str:
        return str(self.value)
