"""What a learner can see of their own progress: the days they studied, their streaks, their true
retention, the reviews coming up and their exam scores; and the streak milestones they are told of.

Everything is counted in the database per local day of the learner (in their time zone, in the
database's own SQL for it: PostgreSQL's, or SQLite's for `make run`), so the number of queries is
the same whatever the history, and Python sees a row per day (or per finished attempt, for the exam
scores). Two layers of cache keep the page as cheap as the exam list (bench/progress.py): the days
before today do not change, so their counts are cached until the learner's day ends; and the whole
page's figures are cached under the learner's study version, which every write to what they count
(a review, a card queued or moved, an answer, a finished attempt) replaces through `changed`. A
write that bypasses the services (a question deleted in Admin) shows from the learner's next day.
"""

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import User
from drillquiz.once import CACHE_DOWN
from notifications.models import Level
from notifications.services import notify_users
from quiz.models import Answer, Attempt, CardState, Exam, Rating, ReviewItem, ReviewLog, StreakMilestone

logger = logging.getLogger(__name__)
T = TypeVar("T")

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


EVER = datetime(1, 1, 2, tzinfo=UTC)  # before any review, and still a date in every time zone


def local_date_sql(column: str, zone: str) -> tuple[str, tuple[str, ...]]:
    """The local date of a timestamp column in the zone, in this database's SQL (what TruncDate writes)."""
    return connection.ops.datetime_cast_date_sql(column, (), zone)


def count_days(user: User, since: datetime, until: datetime) -> dict[date, Day]:
    """The local days from `since` to `until` with a review or an answered question (one query).

    Plain SQL, as one statement over both tables: it runs on every view, and through the ORM the same
    counts took two queries and twice the time (bench/progress.py)."""
    review_day, review_day_params = local_date_sql("log.reviewed_at", user.time_zone)
    answer_day, answer_day_params = local_date_sql("answer.answered_at", user.time_zone)
    # Formatted in: our own table names and Django's date SQL; every value is a parameter.
    sql = f"""
        SELECT day, CAST(SUM(reviews) AS integer), CAST(SUM(answers) AS integer),
            CAST(SUM(learned) AS integer), CAST(SUM(remembered) AS integer)
        FROM (
            SELECT {review_day} AS day, COUNT(*) AS reviews, 0 AS answers,
                COUNT(*) FILTER (WHERE log.state_before = %s) AS learned,
                COUNT(*) FILTER (WHERE log.state_before = %s AND log.rating <> %s) AS remembered
            FROM {ReviewLog._meta.db_table} AS log
            WHERE log.user_id = %s AND log.reviewed_at >= %s AND log.reviewed_at < %s
            GROUP BY 1
            UNION ALL
            SELECT {answer_day}, 0, COUNT(*), 0, 0
            FROM {Answer._meta.db_table} AS answer JOIN {Attempt._meta.db_table} AS attempt
                ON attempt.id = answer.attempt_id
            WHERE attempt.user_id = %s AND answer.answered_at >= %s AND answer.answered_at < %s
            GROUP BY 1
        ) AS counted
        GROUP BY day
    """  # noqa: S608
    bounds = (connection.ops.adapt_datetimefield_value(since), connection.ops.adapt_datetimefield_value(until))
    review = int(CardState.REVIEW)
    params = (*review_day_params, review, review, int(Rating.AGAIN), user.pk, *bounds)
    params += (*answer_day_params, user.pk, *bounds)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # SQLite gives the day as text.
    return {day.day: day for day in (Day(as_date(row[0]), *row[1:]) for row in rows)}


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


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


def until_local_midnight(user: User, today: date) -> int:
    """Seconds left in the learner's local day: how long what is counted for `today` holds."""
    tomorrow = local_midnight(today + timedelta(days=1), ZoneInfo(user.time_zone))
    return max(1, int((tomorrow - timezone.now()).total_seconds()))


def through_cache(key: str, seconds: int, compute: Callable[[], T]) -> T:
    """The cached value of key, or compute() cached for seconds; compute() alone while the cache is down."""
    try:
        cached = cache.get(key)
    except CACHE_DOWN as error:
        logger.warning("progress cache unavailable (%s); counting afresh", type(error).__name__)
        return compute()
    if cached is not None:
        return cast(T, cached)
    value = compute()
    with suppress(*CACHE_DOWN):
        cache.set(key, value, timeout=seconds)
    return value


def past_study(user: User, today: date) -> Past:
    """The days before today: from the cache, or counted over the whole history (one query)."""
    key = f"progress:past:{user.pk}:{user.time_zone}:{today.isoformat()}"
    packed = through_cache(key, until_local_midnight(user, today), lambda: count_past(user, today).packed())
    return Past.unpacked(packed)


def count_past(user: User, today: date) -> Past:
    days = count_days(user, EVER, local_midnight(today, ZoneInfo(user.time_zone)))
    longest, last, run = runs(days)
    first_shown = today - timedelta(days=HEATMAP_DAYS - 1)
    # A deleted question takes its reviews with it: the counts before today show that from tomorrow.
    return Past(
        days=sorted((day for day in days.values() if day.day >= first_shown), key=lambda day: day.day),
        longest=longest,
        run=run if last == today - timedelta(days=1) else 0,
    )


def study(user: User, today: date) -> tuple[dict[date, Day], Streaks]:
    """The studied days of the heatmap's year up to today, and the streaks: the days before today from
    past_study, today's counted afresh (one query, and one more when the cache lacks the past)."""
    past = past_study(user, today)
    zone = ZoneInfo(user.time_zone)
    today_counts = count_days(user, local_midnight(today, zone), local_midnight(today + timedelta(days=1), zone))
    days = {day.day: day for day in past.days} | today_counts
    current = past.run + (today in today_counts)
    return days, Streaks(current=current, longest=max(past.longest, current), studied_today=today in today_counts)


def due_forecast(user: User, today: date, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` local days from today; overdue ones count today (one query)."""
    zone = ZoneInfo(user.time_zone)
    per_day = (
        ReviewItem.objects.filter(user=user, due__lt=local_midnight(today + timedelta(days=days), zone))
        .annotate(day=TruncDate("due", tzinfo=zone))
        .values("day")
        .annotate(cards=Count("pk"))
        .values_list("day", "cards")
        .order_by()
    )
    counts: dict[date, int] = defaultdict(int)
    for day, cards in per_day:
        counts[max(day, today)] += cards
    return [(day, counts[day]) for day in (today + timedelta(days=n) for n in range(days))]


def score_rank(score: Score) -> tuple[float, datetime, int]:
    """The best attempt has the highest share right (attempts of no questions last), the latest of equals."""
    return (score.correct / score.total if score.total else -1.0, score.finished, score.attempt_id)


def exam_scores(user: User) -> list[ExamScore]:
    """Each exam the learner finished an attempt of, with the attempts, the best and the last (one query)."""
    finished = (
        Attempt.objects.filter(user=user, finished__isnull=False)
        .select_related("exam")
        .order_by("exam_id", "-finished", "-pk")
    )
    per_exam: dict[int, tuple[Exam, list[Score]]] = {}
    for attempt in finished:
        finished_at = cast(datetime, attempt.finished)  # set: the query keeps finished attempts only
        score = Score(attempt.pk, attempt.correct_count, attempt.question_count, finished_at)
        per_exam.setdefault(attempt.exam_id, (attempt.exam, []))[1].append(score)
    scores = [
        ExamScore(exam, len(attempts), max(attempts, key=score_rank), attempts[0])
        for exam, attempts in per_exam.values()
    ]
    return sorted(scores, key=lambda score: score.last.finished, reverse=True)


def progress(user: User, now: datetime | None = None) -> Progress:
    """Everything the progress page shows: from the cache until the learner's next study or local
    midnight, else counted in three queries whatever the length of the history (four when the cache
    lacks the days before today)."""
    today = local_today(user, now or timezone.now())
    try:
        version = study_version(user.pk)
    except CACHE_DOWN:
        return count_progress(user, today)
    key = f"progress:{user.pk}:{version}:{user.time_zone}:{today.isoformat()}"
    return through_cache(key, until_local_midnight(user, today), lambda: count_progress(user, today))


def count_progress(user: User, today: date) -> Progress:
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
    """The streaks, today's study and the cards due today, for the home page: what the progress page counts."""
    figures = progress(user, now)
    return Summary(figures.streaks, figures.days[-1], figures.forecast[0][1])


STUDY_VERSION_SECONDS = 60 * 60 * 24 * 30  # beyond a cached day's life: a version lasts longer than its pages


def study_version(user_id: int) -> int:
    """The learner's study version: replaced by each write to what their progress counts, so the
    progress cached under an earlier one is never read again. A new one when the cache has none."""
    key = f"progress:version:{user_id}"
    version = cache.get(key)
    if version is None:
        cache.add(key, clock.time_ns(), timeout=STUDY_VERSION_SECONDS)
        version = cache.get(key, 0)
    return int(version)


def changed(user_id: int) -> None:
    """Called by each write to what the progress page counts: once it commits, the learner's cached
    progress is out of date (and while the cache is down nothing is cached to go stale)."""

    def replace_version() -> None:
        with suppress(*CACHE_DOWN):
            cache.set(f"progress:version:{user_id}", clock.time_ns(), timeout=STUDY_VERSION_SECONDS)

    transaction.on_commit(replace_version)


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
