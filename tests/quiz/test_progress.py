"""The progress a learner sees: study days by local day, streaks, true retention, reviews coming up,
exam scores; queries that do not grow with the history; streak milestones told once."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pytest_django import Settings

from accounts.models import User
from notifications.models import Notification
from quiz import attempts, charts, progress, services
from quiz.models import Answer, Attempt, CardState, Exam, Rating, ReviewItem, ReviewLog, StreakMilestone
from tests.factories import make_exam, make_user


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=3)


@pytest.fixture
def sam(db: None) -> User:
    """A learner who reads English (the cast's learner reads Korean, the default)."""
    return make_user("sam", language="en")


def card(user: User, exam: Exam, number: int = 0, due: datetime | None = None) -> ReviewItem:
    question = exam.questions.all()[number]
    return ReviewItem.objects.create(user=user, question=question, due=due or timezone.now())


def reviewed(
    user: User, exam: Exam, *moments: datetime, rating: Rating = Rating.GOOD, state: CardState = CardState.REVIEW
) -> None:
    """A review log of the user's first card at each moment."""
    item = ReviewItem.objects.filter(user=user).first() or card(user, exam)
    ReviewLog.objects.bulk_create(
        ReviewLog(
            item=item,
            user=user,
            rating=rating,
            reviewed_at=moment,
            state_before=state,
            due_before=moment,
            state_after=CardState.REVIEW,
            due_after=moment + timedelta(days=3),
        )
        for moment in moments
    )


def attempt(user: User, exam: Exam, correct: int, finished: datetime | None, answered: int = 0) -> Attempt:
    """A finished (or open) attempt with `correct` of the exam's questions right; `answered` answer rows."""
    total = exam.questions.count()
    done = Attempt.objects.create(user=user, exam=exam, finished=finished, correct_count=correct, question_count=total)
    Answer.objects.bulk_create(
        Answer(attempt=done, question=question, is_correct=True, answered_at=finished)
        for question in exam.questions.all()[:answered]
    )
    return done


def local(user: User, day: date, hour: int = 12, minute: int = 0) -> datetime:
    """That local time of the user's, in UTC (as FSRS wants it)."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(user.time_zone)).astimezone(UTC)


# --- Study days ---------------------------------------------------------------------------------


def test_the_heatmap_counts_each_review_and_answer_on_the_learners_local_day(exam: Exam) -> None:
    seoul = make_user("minji", time_zone="Asia/Seoul")
    new_york = make_user("sam", time_zone="America/New_York")
    # 14:30 and 15:30 UTC on 10 March: 23:30 on the 10th and 00:30 on the 11th in Seoul; both the 10th in New York.
    moments = [datetime(2026, 3, 10, 14, 30, tzinfo=UTC), datetime(2026, 3, 10, 15, 30, tzinfo=UTC)]
    for learner in (seoul, new_york):
        reviewed(learner, exam, *moments)
        attempt(learner, exam, correct=2, finished=datetime(2026, 3, 10, 15, 10, tzinfo=UTC), answered=2)
    now = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)

    in_seoul = {day.day: (day.reviews, day.answers) for day in progress.progress(seoul, now).days if day.total}
    in_new_york = {day.day: (day.reviews, day.answers) for day in progress.progress(new_york, now).days if day.total}

    assert in_seoul == {date(2026, 3, 10): (1, 0), date(2026, 3, 11): (1, 2)}
    assert in_new_york == {date(2026, 3, 10): (2, 2)}


def test_the_heatmap_covers_the_last_year_up_to_the_local_today(exam: Exam, learner: User) -> None:
    now = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # already the 12th in Seoul
    reviewed(learner, exam, now - timedelta(days=400))

    days = progress.progress(learner, now).days

    assert len(days) == 365
    assert (days[0].day, days[-1].day) == (date(2025, 3, 13), date(2026, 3, 12))
    assert all(day.total == 0 for day in days)


# --- Streaks ------------------------------------------------------------------------------------


def test_the_current_streak_holds_while_today_is_not_studied_yet() -> None:
    today = date(2026, 3, 12)

    streaks = progress.streaks([today - timedelta(days=n) for n in (1, 2, 3)], today)

    assert streaks == progress.Streaks(current=3, longest=3, studied_today=False)


def test_the_current_streak_counts_today_once_studied() -> None:
    today = date(2026, 3, 12)

    assert progress.streaks([today - timedelta(days=n) for n in (0, 1, 2, 3)], today).current == 4


def test_a_streak_ends_after_a_whole_day_without_study_but_stays_the_longest() -> None:
    today = date(2026, 3, 12)
    studied = [today - timedelta(days=n) for n in (2, 3, 9, 10, 11, 12, 13)]

    assert progress.streaks(studied, today) == progress.Streaks(current=0, longest=5, studied_today=False)


def test_a_learner_without_study_has_no_streak() -> None:
    assert progress.streaks([], date(2026, 3, 12)) == progress.Streaks(current=0, longest=0, studied_today=False)


def test_streaks_join_review_days_and_exam_days_older_than_the_heatmap(exam: Exam, learner: User) -> None:
    today = date(2026, 3, 12)
    long_ago = today - timedelta(days=500)
    reviewed(learner, exam, *(local(learner, long_ago + timedelta(days=n)) for n in (0, 1, 3, 4, 5)))
    attempt(learner, exam, correct=1, finished=local(learner, long_ago + timedelta(days=2)), answered=1)
    reviewed(learner, exam, local(learner, today - timedelta(days=1), 23, 50), local(learner, today, 0, 10))

    streaks = progress.progress(learner, local(learner, today, 8)).streaks

    assert streaks == progress.Streaks(current=2, longest=6, studied_today=True)


# --- True retention -----------------------------------------------------------------------------


def test_true_retention_is_the_share_of_reviews_of_learned_cards_not_rated_again_in_30_days(
    exam: Exam, learner: User
) -> None:
    today = date(2026, 3, 12)
    now = local(learner, today, 20)
    reviewed(learner, exam, *(local(learner, today - timedelta(days=n)) for n in (0, 5, 29)), rating=Rating.GOOD)
    reviewed(learner, exam, local(learner, today - timedelta(days=3)), rating=Rating.HARD)
    reviewed(learner, exam, local(learner, today - timedelta(days=1)), rating=Rating.AGAIN)
    reviewed(learner, exam, local(learner, today - timedelta(days=30)), rating=Rating.AGAIN)  # 31st day back
    reviewed(learner, exam, local(learner, today), rating=Rating.AGAIN, state=CardState.LEARNING)  # a step

    retention = progress.progress(learner, now).retention

    assert (retention.remembered, retention.reviews, retention.percent) == (4, 5, 80)


def test_true_retention_has_no_percent_without_reviews_of_learned_cards(exam: Exam, learner: User) -> None:
    reviewed(learner, exam, timezone.now(), rating=Rating.GOOD, state=CardState.NEW)

    assert progress.progress(learner).retention.percent is None


# --- Reviews due --------------------------------------------------------------------------------


def test_the_forecast_counts_cards_due_per_local_day_with_overdue_ones_today(exam: Exam, learner: User) -> None:
    today = date(2026, 3, 12)
    now = local(learner, today, 9)
    other = make_exam("celery", questions=3)
    card(learner, exam, 0, due=now - timedelta(days=2))  # overdue: counts today
    card(learner, exam, 1, due=local(learner, today, 23, 59))
    card(learner, exam, 2, due=local(learner, today + timedelta(days=1), 0, 1))  # 15:01 UTC "today"
    card(learner, other, 0, due=local(learner, today + timedelta(days=29), 23, 0))  # the last day shown
    card(learner, other, 1, due=local(learner, today + timedelta(days=30), 0, 30))  # beyond the 30 days
    card(make_user("other"), exam, 0, due=now)

    forecast = progress.progress(learner, now).forecast

    assert len(forecast) == 30
    assert forecast[0] == (today, 2)
    assert forecast[1] == (today + timedelta(days=1), 1)
    assert forecast[29] == (today + timedelta(days=29), 1)
    assert sum(count for _day, count in forecast) == 4


# --- Exam scores --------------------------------------------------------------------------------


def test_each_exam_shows_its_best_and_last_score_latest_exam_first(exam: Exam, learner: User) -> None:
    celery = make_exam("celery", questions=4)
    start = timezone.now() - timedelta(days=10)
    attempt(learner, exam, correct=2, finished=start)
    best = attempt(learner, exam, correct=3, finished=start + timedelta(days=1))
    last = attempt(learner, exam, correct=1, finished=start + timedelta(days=2))
    attempt(learner, exam, correct=0, finished=None)  # still open
    only = attempt(learner, celery, correct=3, finished=start + timedelta(days=3))
    attempt(make_user("other"), exam, correct=3, finished=start + timedelta(days=4))

    scores = progress.progress(learner).exams

    assert [(s.exam, s.attempts, s.best.attempt_id, s.last.attempt_id) for s in scores] == [
        (celery, 1, only.pk, only.pk),
        (exam, 3, best.pk, last.pk),
    ]
    assert [(s.best.percent, s.last.percent) for s in scores] == [(only.score_percent, only.score_percent), (100, 33)]
    assert (scores[1].best.correct, scores[1].best.total, scores[1].last.finished) == (3, 3, last.finished)


# --- The charts ---------------------------------------------------------------------------------


def test_the_heatmap_shades_days_against_the_busiest_and_its_table_sums_them_by_month() -> None:
    days = [
        progress.Day(date(2026, 11, 29), reviews=8),
        progress.Day(date(2026, 11, 30)),
        progress.Day(date(2026, 12, 1), reviews=1, answers=1),
        progress.Day(date(2026, 12, 2), answers=3),
    ]

    with translation.override("en"):
        chart = charts.heatmap(days)

    assert chart.rows == [("November 2026", 1, 8, 0), ("December 2026", 2, 1, 4)]
    shades = re.findall(r'class="heat-(\d)" d="([^"]*)"', chart.svg)
    assert [(level, path.count("M")) for level, path in shades] == [("0", 1), ("1", 1), ("2", 1), ("4", 1)]
    assert 'aria-label="3 days studied in the last year: 9 reviews, 4 questions answered."' in chart.svg


def test_the_due_chart_draws_a_bar_per_day_with_reviews_and_lists_every_day() -> None:
    today = date(2026, 12, 2)
    forecast = [(today + timedelta(days=n), count) for n, count in enumerate([5, 0, 10] + [0] * 27)]

    with translation.override("ko"):
        chart = charts.due_bars(forecast)

    assert len(chart.rows) == 30
    assert chart.rows[:3] == [("오늘 (밀린 복습 포함)", 5), ("12월 3일", 0), ("12월 4일", 10)]
    assert re.findall(r'<rect class="bar" [^>]*height="(\d+)"><title>([^<]*)</title>', chart.svg) == [
        ("50", "12월 2일: 복습 5개 예정"),
        ("100", "12월 4일: 복습 10개 예정"),
    ]


# --- The pages ----------------------------------------------------------------------------------


def test_the_progress_page_shows_streaks_retention_charts_and_scores(client: Client, exam: Exam, learner: User) -> None:
    now = timezone.now()
    reviewed(learner, exam, now - timedelta(days=1), now - timedelta(days=2), rating=Rating.GOOD)
    reviewed(learner, exam, now - timedelta(days=3), rating=Rating.AGAIN)
    attempt(learner, exam, correct=2, finished=now - timedelta(days=5), answered=3)
    client.force_login(learner)

    page = client.get("/progress/").content.decode()

    assert "Study today to keep it going." in page
    assert "67%" in page  # 2 of 3 remembered
    assert 'class="heat-4"' in page
    assert "4 days studied in the last year: 3 reviews, 3 questions answered." in page
    assert "Exam python" in page
    assert "style=" not in page


def test_the_progress_page_needs_a_login(client: Client, db: None) -> None:
    response = client.get("/progress/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_home_page_shows_a_progress_block_only_when_logged_in(client: Client, exam: Exam, learner: User) -> None:
    card(learner, exam, due=timezone.now() - timedelta(hours=1))
    assert "Your progress" not in client.get("/").content.decode()
    client.force_login(learner)

    page = client.get("/").content.decode()

    assert "Your progress" in page
    assert "1 card" in page
    assert 'href="/progress/"' in page


def test_the_progress_page_speaks_korean(client: Client, exam: Exam) -> None:
    minji = make_user("minji", language="ko")
    reviewed(minji, exam, timezone.now())
    client.force_login(minji)

    page = client.get("/progress/", headers={"accept-language": "ko"}).content.decode()

    assert "<h1>나의 학습 현황</h1>" in page
    assert '<span class="stat-value">1일</span>' in page


def studied_line(client: Client) -> str:
    page = client.get("/progress/", headers={"accept-language": "en"}).content.decode()
    return re.search(r'\d+ days? studied in the last year: [^<"]*', page).group()  # type: ignore[union-attr]


# Committed writes, from here on: the study version is replaced once a write commits.


def test_a_view_is_served_from_the_cache_until_the_learner_studies_then_only_today_is_counted(
    transactional_db: None, client: Client, exam: Exam, learner: User
) -> None:
    reviewed(learner, exam, timezone.now() - timedelta(days=2))
    client.force_login(learner)
    first = queries_of(client, "/progress/")
    cached = queries_of(client, "/progress/")
    services.review(ReviewItem.objects.get(user=learner), Rating.GOOD)

    after_review = queries_of(client, "/progress/")

    assert cached == first - 4  # the day counts of the past and of today, the forecast, the scores
    assert after_review == first - 1  # the days before today still from the cache
    assert studied_line(client) == "2 days studied in the last year: 2 reviews, 0 questions answered."


def test_an_answer_a_finished_attempt_and_a_rescheduling_show_at_once(
    transactional_db: None, client: Client, exam: Exam, sam: User
) -> None:
    client.force_login(sam)
    assert studied_line(client) == "0 days studied in the last year: 0 reviews, 0 questions answered."
    practice = attempts.start_attempt(sam, exam, Attempt.Mode.PRACTICE)
    first = exam.questions.all()[0]

    attempts.save_answer(practice, first, {first.choices.filter(is_correct=False)[0].pk})

    assert studied_line(client) == "1 day studied in the last year: 0 reviews, 1 question answered."
    assert progress.progress(sam).forecast[0][1] == 1  # the wrong answer's card, due now
    assert progress.progress(sam).exams == []

    attempts.finish_attempt(practice)

    assert [score.attempts for score in progress.progress(sam).exams] == [1]

    item = ReviewItem.objects.get(user=sam)
    services.review(item, Rating.GOOD)
    services.review(item, Rating.GOOD)  # past its learning steps: a review card, which rescheduling moves
    before = progress.progress(sam).forecast
    sam.desired_retention = 0.70
    sam.save(update_fields=["desired_retention"])

    assert services.reschedule_cards(sam) == 1
    assert progress.progress(sam).forecast != before


def test_a_write_that_rolls_back_leaves_the_cached_progress_as_it_was(
    transactional_db: None, exam: Exam, sam: User
) -> None:
    before = progress.study_version(sam.pk)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_to_review_queue(sam, [exam.questions.all()[0].pk], timezone.now())
        raise RuntimeError("rolled back")

    assert progress.study_version(sam.pk) == before
    services.add_to_review_queue(sam, [exam.questions.all()[0].pk], timezone.now())
    assert progress.study_version(sam.pk) != before


def test_the_progress_page_answers_while_the_cache_is_down(
    client: Client, exam: Exam, learner: User, settings: Settings
) -> None:
    reviewed(learner, exam, timezone.now() - timedelta(days=1), timezone.now())
    client.force_login(learner)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    response = client.get("/progress/")

    assert response.status_code == 200
    assert "2 days studied in the last year: 2 reviews, 0 questions answered." in response.content.decode()


def history(user: User, exam: Exam, logs: int, exams: list[Exam]) -> None:
    """`logs` reviews spread over the last 400 days, an attempt with answers of each exam, cards due."""
    now = timezone.now()
    reviewed(user, exam, *(now - timedelta(hours=(400 * 24 - 1) * n / logs) for n in range(logs)))
    for number, each in enumerate(exams):
        attempt(user, each, correct=1, finished=now - timedelta(days=number), answered=2)
        card(user, each, 1, due=now + timedelta(days=number))


def queries_of(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_progress_and_home_pages_run_as_many_queries_for_1000_logs_as_for_10(client: Client, exam: Exam) -> None:
    exams = [make_exam(f"exam-{n}", questions=3) for n in range(5)]
    light, heavy = make_user("light"), make_user("heavy")
    history(light, exam, 10, exams[:1])
    history(heavy, exam, 1000, exams)
    assert ReviewLog.objects.filter(user=heavy).count() == 1000

    counts = {}
    for user in (light, heavy):
        client.force_login(user)
        counts[user.username] = (queries_of(client, "/progress/"), queries_of(client, "/"))

    assert counts["light"] == counts["heavy"]


# --- Streak milestones --------------------------------------------------------------------------


def milestone_notes(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("title", flat=True))


def test_a_learner_is_told_of_a_three_day_streak_once_in_their_language(exam: Exam) -> None:
    minji = make_user("minji", language="ko")
    today = date(2026, 3, 12)
    reviewed(minji, exam, local(minji, today - timedelta(days=2)), local(minji, today - timedelta(days=1), 23, 30))
    item = ReviewItem.objects.get(user=minji)

    services.review(item, Rating.GOOD, now=local(minji, today, 0, 15))
    services.review(item, Rating.GOOD, now=local(minji, today, 21))

    assert milestone_notes(minji) == ["3일 연속 학습!"]
    note = Notification.objects.get(user=minji)
    assert (note.level, note.link) == ("success", "/progress/")
    assert list(StreakMilestone.objects.filter(user=minji).values_list("days", "reached_on")) == [(3, today)]


def test_a_milestone_is_told_once_even_when_a_later_streak_reaches_it_again(exam: Exam, sam: User) -> None:
    first = date(2026, 3, 1)
    reviewed(sam, exam, *(local(sam, first + timedelta(days=n)) for n in (0, 1)))
    item = ReviewItem.objects.get(user=sam)
    services.review(item, Rating.GOOD, now=local(sam, first + timedelta(days=2)))
    # A week off, then three days again.
    reviewed(sam, exam, *(local(sam, first + timedelta(days=n)) for n in (10, 11)))

    services.review(item, Rating.GOOD, now=local(sam, first + timedelta(days=12)))

    assert milestone_notes(sam) == ["3 days in a row!"]


def test_no_milestone_before_three_days_or_when_today_breaks_the_run(exam: Exam, sam: User) -> None:
    today = date(2026, 3, 12)
    reviewed(sam, exam, *(local(sam, today - timedelta(days=n)) for n in (2, 3, 4, 5)))  # not yesterday
    item = ReviewItem.objects.get(user=sam)

    services.review(item, Rating.GOOD, now=local(sam, today))

    assert milestone_notes(sam) == []
    assert not StreakMilestone.objects.filter(user=sam).exists()


def test_a_run_already_past_several_milestones_tells_only_the_longest(exam: Exam, sam: User) -> None:
    today = date(2026, 3, 12)
    reviewed(sam, exam, *(local(sam, today - timedelta(days=n)) for n in range(1, 7)))
    item = ReviewItem.objects.get(user=sam)

    services.review(item, Rating.GOOD, now=local(sam, today))

    assert milestone_notes(sam) == ["7 days in a row!"]
    assert set(StreakMilestone.objects.filter(user=sam).values_list("days", flat=True)) == {3, 7}


def test_an_exam_day_counts_toward_the_streak_a_review_completes(exam: Exam, sam: User) -> None:
    today = date(2026, 3, 12)
    reviewed(sam, exam, local(sam, today - timedelta(days=2)))
    attempt(sam, exam, correct=1, finished=local(sam, today - timedelta(days=1)), answered=1)
    item = ReviewItem.objects.get(user=sam)

    services.review(item, Rating.GOOD, now=local(sam, today))

    assert milestone_notes(sam) == ["3 days in a row!"]
