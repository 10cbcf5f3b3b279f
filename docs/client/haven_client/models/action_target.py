from enum import StrEnum


class ActionTarget(StrEnum):
    AUTHOR = "author"
    MODERATORS = "moderators"
    POST = "post"

    def __str__(self) -> str:
        return str(self.value)
