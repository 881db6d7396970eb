"""What a learner can see of their own progress: the days they studied, their streaks, their true
retention, the reviews coming up and their exam scores; and the streak milestones they are told of.

Everything is counted in PostgreSQL per local day of the learner (AT TIME ZONE their time zone), so
the number of queries is the same whatever the history, and Python only sees a row per day or per exam.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, DateField, F, FloatField, Q, QuerySet, Value, Window
from django.db.models.functions import Cast, Greatest, NullIf, TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import User
from notifications.models import Level
from notifications.services import notify_users
from quiz.models import Answer, Attempt, CardState, Exam, Rating, ReviewItem, ReviewLog, StreakMilestone

HEATMAP_DAYS = 365
RETENTION_DAYS = 30
FORECAST_DAYS = 30
# Streak lengths (days) a learner is told about, once each.
MILESTONES = (3, 7, 30, 100, 365)


@dataclass(frozen=True)
class Day:
    """One local day: reviews, questions answered in attempts, and the reviews of learned cards
    (past their learning steps, the ones true retention counts) with how many were remembered."""

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
class Month:
    """A row of the table behind the heatmap."""

    first_day: date
    days_studied: int
    reviews: int
    answers: int


@dataclass(frozen=True)
class ExamScore:
    exam: Exam
    attempts: int
    best: Attempt
    last: Attempt


@dataclass(frozen=True)
class Progress:
    """What the progress page shows."""

    today: date
    days: list[Day]  # the last HEATMAP_DAYS local days, oldest first, days without study included
    streaks: Streaks
    retention: Retention
    forecast: list[tuple[date, int]]  # reviews due on each of the next FORECAST_DAYS local days
    exams: list[ExamScore]  # the most recently attempted first

    @property
    def months(self) -> list[Month]:
        months: dict[date, Month] = {}
        for day in self.days:
            key = day.day.replace(day=1)
            month = months.get(key, Month(key, 0, 0, 0))
            months[key] = Month(
                key, month.days_studied + (day.total > 0), month.reviews + day.reviews, month.answers + day.answers
            )
        return list(months.values())


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


def study_days(user: User) -> dict[date, Day]:
    """Every local day the learner studied, with its counts (two grouped queries over the whole history)."""
    zone = ZoneInfo(user.time_zone)
    learned = Q(state_before=CardState.REVIEW)
    reviews = (
        ReviewLog.objects.filter(user=user)
        .annotate(day=TruncDate("reviewed_at", tzinfo=zone))
        .values("day")
        .annotate(
            reviews=Count("pk"),
            learned_reviews=Count("pk", filter=learned),
            remembered=Count("pk", filter=learned & ~Q(rating=Rating.AGAIN)),
        )
        .order_by()
    )
    answers = (
        Answer.objects.filter(attempt__user=user, answered_at__isnull=False)
        .annotate(day=TruncDate("answered_at", tzinfo=zone))
        .values("day")
        .annotate(answers=Count("pk"))
        .order_by()
    )
    days = {row["day"]: Day(**row) for row in reviews}
    for row in answers:
        days[row["day"]] = replace(days.get(row["day"], Day(row["day"])), answers=row["answers"])
    return days


def streaks(studied: Iterable[date], today: date) -> Streaks:
    """The current and longest runs of consecutive study days. The current run ends today, or yesterday
    while today is not studied yet: a streak lasts until a whole local day passes without study."""
    longest = run = 0
    last: date | None = None
    for day in sorted(day for day in set(studied) if day <= today):
        run = run + 1 if last is not None and day - last == timedelta(days=1) else 1
        longest = max(longest, run)
        last = day
    alive = last is not None and today - last <= timedelta(days=1)
    return Streaks(current=run if alive else 0, longest=longest, studied_today=last == today)


def due_forecast(user: User, today: date, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` local days from today; overdue ones count today (one query)."""
    zone = ZoneInfo(user.time_zone)
    rows = (
        ReviewItem.objects.filter(user=user, due__lt=local_midnight(today + timedelta(days=days), zone))
        .annotate(day=Greatest(TruncDate("due", tzinfo=zone), Value(today, output_field=DateField())))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["count"] for row in rows}
    return [(day, counts.get(day, 0)) for day in (today + timedelta(days=n) for n in range(days))]


def exam_scores(user: User) -> list[ExamScore]:
    """Each exam the learner finished an attempt of: the attempts, the best and the last (two queries)."""
    finished = Attempt.objects.filter(user=user, finished__isnull=False).defer("choice_order")
    # DISTINCT ON keeps the first row per exam of the ordering; the window counts before it drops any.
    last = (
        finished.select_related("exam")
        .annotate(attempt_count=Window(Count("pk"), partition_by=[F("exam_id")]))
        .order_by("exam_id", "-finished", "-pk")
        .distinct("exam_id")
    )
    ratio = Cast("correct_count", FloatField()) / NullIf("question_count", 0)
    best = {
        attempt.exam_id: attempt
        for attempt in finished.annotate(ratio=ratio)
        .order_by("exam_id", F("ratio").desc(nulls_last=True), "-finished", "-pk")
        .distinct("exam_id")
    }
    scores = [ExamScore(attempt.exam, attempt.attempt_count, best[attempt.exam_id], attempt) for attempt in last]
    return sorted(scores, key=lambda score: score.last.finished or score.last.started, reverse=True)


def progress(user: User, now: datetime | None = None) -> Progress:
    """Everything the progress page shows, in five queries whatever the length of the history."""
    today = local_today(user, now or timezone.now())
    studied = study_days(user)
    last_year = [studied.get(day) or Day(day) for day in days_up_to(today, HEATMAP_DAYS)]
    recent = last_year[-RETENTION_DAYS:]
    return Progress(
        today=today,
        days=last_year,
        streaks=streaks(studied, today),
        retention=Retention(sum(day.remembered for day in recent), sum(day.learned_reviews for day in recent)),
        forecast=due_forecast(user, today),
        exams=exam_scores(user),
    )


def summary(user: User, now: datetime | None = None) -> Summary:
    """The streaks, today's study and the cards due today, for the home page (three queries)."""
    today = local_today(user, now or timezone.now())
    studied = study_days(user)
    [(_today, due)] = due_forecast(user, today, days=1)
    return Summary(streaks(studied, today), studied.get(today) or Day(today), due)


def days_up_to(last: date, count: int) -> list[date]:
    return [last - timedelta(days=n) for n in range(count - 1, -1, -1)]


def days_studied_since(user: User, first: date) -> QuerySet[ReviewLog, date]:
    """The local days from `first` with a review or an answered question, as one UNION query."""
    zone = ZoneInfo(user.time_zone)
    since = local_midnight(first, zone)
    reviews = ReviewLog.objects.filter(user=user, reviewed_at__gte=since)
    answers = Answer.objects.filter(attempt__user=user, answered_at__gte=since)
    return (
        reviews.annotate(day=TruncDate("reviewed_at", tzinfo=zone))
        .values_list("day", flat=True)
        .order_by()
        .union(answers.annotate(day=TruncDate("answered_at", tzinfo=zone)).values_list("day", flat=True).order_by())
    )


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
    studied = days_studied_since(user, today - timedelta(days=max(missing) - 1))
    current = streaks(studied, today).current
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
