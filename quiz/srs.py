"""SM-2 spaced repetition, as published by P. A. Wozniak (SuperMemo 2, 1987).

Quality q is the grade of one recall, 0 (blackout) to 5 (perfect). A recall with q >= 3
lengthens the interval (1 day, then 6, then the last interval times the ease factor); a lower
grade starts the item again at a 1-day interval. The ease factor moves by
EF' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)) and never falls below 1.3.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MIN_EASE = Decimal("1.30")
START_EASE = Decimal("2.50")

# The grades the review page gives: a wrong answer, then how hard a right one felt.
AGAIN, HARD, GOOD, EASY = 1, 3, 4, 5


@dataclass(frozen=True)
class Schedule:
    repetitions: int
    interval_days: int
    ease_factor: Decimal


def next_schedule(current: Schedule, quality: int) -> Schedule:
    """The schedule after one review graded `quality` (0-5)."""
    if not 0 <= quality <= 5:
        raise ValueError(f"SM-2 quality must be 0 to 5, not {quality}")
    if quality >= 3:
        if current.repetitions == 0:
            interval = 1
        elif current.repetitions == 1:
            interval = 6
        else:
            interval = int((current.interval_days * current.ease_factor).to_integral_value(ROUND_HALF_UP))
        repetitions = current.repetitions + 1
    else:
        repetitions, interval = 0, 1
    miss = 5 - quality
    ease = current.ease_factor + Decimal("0.1") - miss * (Decimal("0.08") + miss * Decimal("0.02"))
    return Schedule(repetitions, interval, max(MIN_EASE, ease.quantize(Decimal("0.01"))))
