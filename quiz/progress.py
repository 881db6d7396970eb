"""What a learner can see of their own progress: the days they studied, their streaks, their true
retention, the reviews coming up and their exam scores; and the streak milestones they are told of.

Everything is counted in PostgreSQL per local day of the learner (AT TIME ZONE their time zone), so
the number of queries is the same whatever the history, and Python only sees a row per day or per exam.
The aggregates are plain SQL: through the ORM, compiling them cost as much time as running them, or
more (bench/progress.py). The days before today do not change, so their counts are cached until
the learner's day ends; today's are counted afresh on every view.
"""

import logging
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import User
from drillquiz.once import CACHE_DOWN
from notifications.models import Level
from notifications.services import notify_users
from quiz.models import CardState, Exam, Rating, ReviewLog, StreakMilestone

logger = logging.getLogger(__name__)

HEATMAP_DAYS = 365
RETENTION_DAYS = 30
FORECAST_DAYS = 30
# Streak lengths (days) a learner is told about, once each.
MILESTONES = (3, 7, 30, 100, 365)


class Day(NamedTuple):
    """One local day: reviews, questions answered in attempts, and the reviews of learned cards
    (past their learning steps, the ones true retention counts) with how many were remembered.
    A named tuple: a page builds hundreds, and the cache holds them."""

    day: date
    reviews: int = 0
    answers: int = 0
    learned_reviews: int = 0
    remembered: int = 0

    @property
    def total(self) -> int:
        return self.reviews + self.answers


@dataclass(frozen=True)
class Streaks:
    """Runs of consecutive local days with a review or an answered question."""

    current: int
    longest: int
    studied_today: bool


@dataclass(frozen=True)
class Retention:
    """Reviews of learned cards not rated Again, of all reviews of learned cards (Anki's true retention)."""

    remembered: int
    reviews: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.remembered / self.reviews) if self.reviews else None


@dataclass(frozen=True)
class Score:
    """One finished attempt's score."""

    attempt_id: int
    correct: int
    total: int
    finished: datetime

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0  # as Attempt.score_percent


@dataclass(frozen=True)
class ExamScore:
    exam: Exam
    attempts: int
    best: Score
    last: Score


@dataclass(frozen=True)
class Progress:
    """What the progress page shows."""

    today: date
    days: list[Day]  # the last HEATMAP_DAYS local days, oldest first, days without study included
    streaks: Streaks
    retention: Retention
    forecast: list[tuple[date, int]]  # reviews due on each of the next FORECAST_DAYS local days
    exams: list[ExamScore]  # the most recently attempted first


@dataclass(frozen=True)
class Summary:
    """The progress block of the home page."""

    streaks: Streaks
    today: Day
    due_today: int


def local_today(user: User, now: datetime) -> date:
    return now.astimezone(ZoneInfo(user.time_zone)).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


# Reviews and answered questions per local day between two instants, in one statement.
STUDY_DAYS_SQL = """
SELECT day, SUM(reviews)::int, SUM(answers)::int, SUM(learned_reviews)::int, SUM(remembered)::int FROM (
    SELECT (reviewed_at AT TIME ZONE %(zone)s)::date AS day, COUNT(*) AS reviews, 0 AS answers,
        COUNT(*) FILTER (WHERE state_before = %(review)s) AS learned_reviews,
        COUNT(*) FILTER (WHERE state_before = %(review)s AND rating <> %(again)s) AS remembered
    FROM quiz_reviewlog
    WHERE user_id = %(user)s AND reviewed_at >= %(since)s AND reviewed_at < %(until)s
    GROUP BY 1
    UNION ALL
    SELECT (answer.answered_at AT TIME ZONE %(zone)s)::date, 0, COUNT(*), 0, 0
    FROM quiz_answer AS answer JOIN quiz_attempt AS attempt ON attempt.id = answer.attempt_id
    WHERE attempt.user_id = %(user)s AND answer.answered_at >= %(since)s AND answer.answered_at < %(until)s
    GROUP BY 1
) AS counted
GROUP BY day
"""
EVER = datetime(1, 1, 2, tzinfo=UTC)  # before any review, and still a date in every time zone


def count_days(user: User, since: datetime, until: datetime) -> dict[date, Day]:
    """The local days from `since` to `until` with a review or an answered question (one query)."""
    parameters: dict[str, str | int | datetime] = {
        "zone": user.time_zone,
        "user": user.pk,
        "since": since,
        "until": until,
        "review": int(CardState.REVIEW),
        "again": int(Rating.AGAIN),
    }
    with connection.cursor() as cursor:
        cursor.execute(STUDY_DAYS_SQL, parameters)
        return {row[0]: Day(*row) for row in cursor.fetchall()}


@dataclass(frozen=True)
class Past:
    """What the days before today add up to. They do not change, so this is cached until the day ends."""

    days: list[Day]  # the studied days of the heatmap's year before today, oldest first
    longest: int  # the longest run of study days
    run: int  # the run of study days that ended yesterday; 0 when yesterday was not studied

    def packed(self) -> tuple[list[tuple[int, ...]], int, int]:
        """As plain numbers (dates as ordinals), which the cache keeps smaller and reads back faster."""
        return [(day.day.toordinal(), *day[1:]) for day in self.days], self.longest, self.run

    @classmethod
    def unpacked(cls, packed: tuple[list[tuple[int, ...]], int, int]) -> "Past":
        rows, longest, run = packed
        return cls([Day(date.fromordinal(ordinal), *counts) for ordinal, *counts in rows], longest, run)


def runs(studied: Iterable[date]) -> tuple[int, date | None, int]:
    """The longest run of consecutive days, and the last run's last day and length."""
    longest = run = 0
    last: date | None = None
    for day in sorted(set(studied)):
        run = run + 1 if last is not None and day - last == timedelta(days=1) else 1
        longest = max(longest, run)
        last = day
    return longest, last, run


def streaks(studied: Iterable[date], today: date) -> Streaks:
    """The current and longest runs of consecutive study days. The current run ends today, or yesterday
    while today is not studied yet: a streak lasts until a whole local day passes without study."""
    longest, last, run = runs(day for day in studied if day <= today)
    alive = last is not None and today - last <= timedelta(days=1)
    return Streaks(current=run if alive else 0, longest=longest, studied_today=last == today)


def past_study(user: User, today: date) -> Past:
    """The days before today: from the cache, or counted over the whole history (one query)."""
    zone = ZoneInfo(user.time_zone)
    key = f"progress:past:{user.pk}:{user.time_zone}:{today.isoformat()}"
    try:
        packed = cache.get(key)
    except CACHE_DOWN as error:
        logger.warning("progress cache unavailable (%s); counting every day", type(error).__name__)
        packed = None
    if packed is not None:
        return Past.unpacked(packed)
    days = count_days(user, EVER, local_midnight(today, zone))
    longest, last, run = runs(days)
    first_shown = today - timedelta(days=HEATMAP_DAYS - 1)
    past = Past(
        days=sorted((day for day in days.values() if day.day >= first_shown), key=lambda day: day.day),
        longest=longest,
        run=run if last == today - timedelta(days=1) else 0,
    )
    # A deleted question takes its reviews with it: the counts before today show that from tomorrow.
    seconds = (local_midnight(today + timedelta(days=1), zone) - timezone.now()).total_seconds()
    with suppress(*CACHE_DOWN):
        cache.set(key, past.packed(), timeout=max(1, int(seconds)))
    return past


def study(user: User, today: date) -> tuple[dict[date, Day], Streaks]:
    """The studied days of the heatmap's year up to today, and the streaks: the days before today from
    past_study, today's counted afresh (one query, and one more when the cache lacks the past)."""
    past = past_study(user, today)
    zone = ZoneInfo(user.time_zone)
    today_counts = count_days(user, local_midnight(today, zone), local_midnight(today + timedelta(days=1), zone))
    days = {day.day: day for day in past.days} | today_counts
    current = past.run + (today in today_counts)
    return days, Streaks(current=current, longest=max(past.longest, current), studied_today=today in today_counts)


# Cards due per local day before `until`; overdue ones count on today.
DUE_SQL = """
SELECT GREATEST((due AT TIME ZONE %(zone)s)::date, %(today)s) AS day, COUNT(*)::int
FROM quiz_reviewitem
WHERE user_id = %(user)s AND due < %(until)s
GROUP BY 1
"""


def due_forecast(user: User, today: date, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` local days from today; overdue ones count today (one query)."""
    until = local_midnight(today + timedelta(days=days), ZoneInfo(user.time_zone))
    with connection.cursor() as cursor:
        cursor.execute(DUE_SQL, {"zone": user.time_zone, "today": today, "user": user.pk, "until": until})
        counts = dict(cursor.fetchall())
    return [(day, counts.get(day, 0)) for day in (today + timedelta(days=n) for n in range(days))]


# Per exam, its last finished attempt (DISTINCT ON keeps each exam's first row in this order) and,
# from windows that see all of them, the count and the best: the highest share right (attempts of no
# questions last), the latest of equals.
EXAM_SCORES_SQL = """
SELECT DISTINCT ON (attempt.exam_id) exam.*,
    attempt.id AS last_id, attempt.correct_count AS last_correct, attempt.question_count AS last_total,
    attempt.finished AS last_finished, COUNT(*) OVER every AS attempt_count,
    FIRST_VALUE(attempt.id) OVER best AS best_id,
    FIRST_VALUE(attempt.correct_count) OVER best AS best_correct,
    FIRST_VALUE(attempt.question_count) OVER best AS best_total,
    FIRST_VALUE(attempt.finished) OVER best AS best_finished
FROM quiz_attempt AS attempt JOIN quiz_exam AS exam ON exam.id = attempt.exam_id
WHERE attempt.user_id = %(user)s AND attempt.finished IS NOT NULL
WINDOW every AS (PARTITION BY attempt.exam_id),
    best AS (
        PARTITION BY attempt.exam_id
        ORDER BY attempt.correct_count::float / NULLIF(attempt.question_count, 0) DESC NULLS LAST,
            attempt.finished DESC, attempt.id DESC
    )
ORDER BY attempt.exam_id, attempt.finished DESC, attempt.id DESC
"""


def exam_scores(user: User) -> list[ExamScore]:
    """Each exam the learner finished an attempt of, with the attempts, the best and the last (one query)."""
    scores = []
    for exam in Exam.objects.raw(EXAM_SCORES_SQL, {"user": user.pk}):
        column = vars(exam)  # the exam's fields, and the query's other columns beside them
        best = Score(column["best_id"], column["best_correct"], column["best_total"], column["best_finished"])
        last = Score(column["last_id"], column["last_correct"], column["last_total"], column["last_finished"])
        scores.append(ExamScore(exam, column["attempt_count"], best, last))
    return sorted(scores, key=lambda score: score.last.finished, reverse=True)


def progress(user: User, now: datetime | None = None) -> Progress:
    """Everything the progress page shows, in three queries whatever the length of the history (four
    when the cache lacks the days before today)."""
    today = local_today(user, now or timezone.now())
    studied, streaks_now = study(user, today)
    last_year = [studied.get(day) or Day(day) for day in days_up_to(today, HEATMAP_DAYS)]
    recent = last_year[-RETENTION_DAYS:]
    return Progress(
        today=today,
        days=last_year,
        streaks=streaks_now,
        retention=Retention(sum(day.remembered for day in recent), sum(day.learned_reviews for day in recent)),
        forecast=due_forecast(user, today),
        exams=exam_scores(user),
    )


def summary(user: User, now: datetime | None = None) -> Summary:
    """The streaks, today's study and the cards due today, for the home page (two or three queries)."""
    today = local_today(user, now or timezone.now())
    studied, streaks_now = study(user, today)
    [(_today, due)] = due_forecast(user, today, days=1)
    return Summary(streaks_now, studied.get(today) or Day(today), due)


def days_up_to(last: date, count: int) -> list[date]:
    return [last - timedelta(days=n) for n in range(count - 1, -1, -1)]


def note_streak(log: ReviewLog) -> int | None:
    """Called as a review is recorded: on the learner's first review of their local day (when the
    streak may have grown), record the milestones the streak has reached and tell the learner, in
    their language, of the longest new one. Each milestone is told once ever; returns the one told."""
    user = log.user
    zone = ZoneInfo(user.time_zone)
    today = log.reviewed_at.astimezone(zone).date()
    earlier_today = ReviewLog.objects.filter(
        user=user, reviewed_at__gte=local_midnight(today, zone), reviewed_at__lt=log.reviewed_at
    )
    if earlier_today.exists():
        return None
    reached = set(StreakMilestone.objects.filter(user=user).values_list("days", flat=True))
    missing = [days for days in MILESTONES if days not in reached]
    if not missing:
        return None
    # A run longer than the longest milestone still missing changes nothing, so look back no further.
    since = local_midnight(today - timedelta(days=max(missing) - 1), zone)
    current = streaks(count_days(user, since, local_midnight(today + timedelta(days=1), zone)), today).current
    # get_or_create under the unique constraint: two first reviews at once (two tabs) tell it once.
    new = [
        days
        for days in missing
        if days <= current
        and StreakMilestone.objects.get_or_create(user=user, days=days, defaults={"reached_on": today})[1]
    ]
    if not new:
        return None
    days = max(new)
    with translation.override(user.language):
        title = ngettext("%(count)d day in a row!", "%(count)d days in a row!", days) % {"count": days}
        body = ngettext(
            "You have studied %(count)d day in a row. Keep it going!",
            "You have studied %(count)d days in a row. Keep it going!",
            days,
        ) % {"count": days}
    notify_users([user.pk], Level.SUCCESS, title, body=body, link=reverse("quiz:progress"))
    return days
