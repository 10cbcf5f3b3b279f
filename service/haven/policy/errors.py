"""Problems found in a policy set, each pinned to a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PolicyError:
    file: Path
    line: int
    column: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class PolicyLoadError(Exception):
    """A policy set that cannot be used; carries every problem found, not just the first."""

    def __init__(self, errors: list[PolicyError]) -> None:
        self.errors = sorted(errors, key=lambda e: (str(e.file), e.line, e.column))
        super().__init__("\n".join(str(e) for e in self.errors))
