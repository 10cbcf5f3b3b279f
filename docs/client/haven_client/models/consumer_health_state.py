from enum import StrEnum


class ConsumerHealthState(StrEnum):
    NOT_RUNNING = "not running"
    RESTARTING = "restarting"
    RUNNING = "running"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
