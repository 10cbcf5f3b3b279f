"""A community's own threshold for a model, fitted on its moderators' reviews.

Reviews are the best labels a community has: a moderator upheld the decision (the model
was right to fire) or overturned it (a false alarm). Haven keeps no post text unless an
operator asks it to, so what is fitted here is not the model's weights but its threshold,
from the score each decision recorded (`Match.scores`) and the moderators' verdicts. The
decisions a model never fired on carry no score, so this can only raise a threshold, to cut
false alarms a community keeps overturning; it never lowers one.

The reviewed decisions are split by a hash of their id: about 70% to choose the threshold,
30% held back to report what the change does on reviews it was not chosen on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HELD_BACK_PERCENT = 30


@dataclass(frozen=True, slots=True)
class Reviewed:
    decision_id: str
    score: float
    upheld: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    upheld_kept: int
    upheld: int
    overturned_kept: int
    overturned: int

    @property
    def precision(self) -> float:
        kept = self.upheld_kept + self.overturned_kept
        return self.upheld_kept / kept if kept else 1.0


@dataclass(frozen=True, slots=True)
class Tuning:
    model: str
    current: float
    proposed: float
    fitted_on: int
    before: Outcome  # on the held-back reviews
    after: Outcome


def held_back(decision_id: str) -> bool:
    return int(hashlib.sha256(decision_id.encode()).hexdigest()[:8], 16) % 100 < HELD_BACK_PERCENT


def outcome(reviews: Iterable[Reviewed], threshold: float) -> Outcome:
    items = list(reviews)
    return Outcome(
        upheld_kept=sum(1 for r in items if r.upheld and r.score >= threshold),
        upheld=sum(1 for r in items if r.upheld),
        overturned_kept=sum(1 for r in items if not r.upheld and r.score >= threshold),
        overturned=sum(1 for r in items if not r.upheld),
    )


def tune(model: str, current: float, reviews: Sequence[Reviewed], *, precision: float = 0.8) -> Tuning:
    """The lowest threshold, at or above `current`, at which the moderators upheld at least
    `precision` of what the model fired on in the fitting part; `current` when it already does
    or when no threshold does."""
    fitting = [r for r in reviews if not held_back(r.decision_id)]
    testing = [r for r in reviews if held_back(r.decision_id)]
    proposed = current
    if outcome(fitting, current).precision < precision:
        for candidate in sorted({r.score for r in fitting if r.score > current}):
            if outcome(fitting, candidate).precision >= precision:
                proposed = candidate
                break
    return Tuning(model, current, proposed, len(fitting), outcome(testing, current), outcome(testing, proposed))
