"""SM-2 as published: intervals 1, 6, then I x EF; EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)), floor 1.3."""

from decimal import Decimal

import pytest

from quiz.srs import Schedule, next_schedule

NEW = Schedule(repetitions=0, interval_days=0, ease_factor=Decimal("2.50"))


@pytest.mark.parametrize(
    ("quality", "ease"),
    [(5, "2.60"), (4, "2.50"), (3, "2.36"), (2, "2.18"), (1, "1.96"), (0, "1.70")],
)
def test_the_ease_factor_moves_by_the_published_formula(quality: int, ease: str) -> None:
    assert next_schedule(NEW, quality).ease_factor == Decimal(ease)


def test_successful_reviews_wait_one_day_then_six_then_interval_times_ease() -> None:
    first = next_schedule(NEW, 4)
    second = next_schedule(first, 4)
    third = next_schedule(second, 4)
    fourth = next_schedule(third, 5)

    assert [s.interval_days for s in (first, second, third, fourth)] == [1, 6, 15, 38]
    assert [s.repetitions for s in (first, second, third, fourth)] == [1, 2, 3, 4]
    assert fourth.ease_factor == Decimal("2.60")


def test_a_failed_review_starts_the_item_again_tomorrow() -> None:
    learned = Schedule(repetitions=5, interval_days=40, ease_factor=Decimal("2.40"))

    again = next_schedule(learned, 1)

    assert again == Schedule(repetitions=0, interval_days=1, ease_factor=Decimal("1.86"))


def test_the_ease_factor_never_falls_below_one_point_three() -> None:
    hard = Schedule(repetitions=0, interval_days=1, ease_factor=Decimal("1.40"))

    assert next_schedule(hard, 0).ease_factor == Decimal("1.30")


def test_an_interval_is_rounded_half_up() -> None:
    # 6 x 2.25 = 13.5 days -> 14
    assert next_schedule(Schedule(2, 6, Decimal("2.25")), 4).interval_days == 14


@pytest.mark.parametrize("quality", [-1, 6])
def test_a_grade_outside_zero_to_five_is_refused(quality: int) -> None:
    with pytest.raises(ValueError, match="quality must be 0 to 5"):
        next_schedule(NEW, quality)
