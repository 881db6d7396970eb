"""Our scheduling gives what the fsrs package gives for the same reviews; retention and parameters are the learner's."""

import random
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from jobs.models import OutboxMessage
from quiz import scheduling, services
from quiz.models import CardState, Exam, LearnerParameters, Rating, ReviewItem, ReviewLog
from tests.factories import make_exam
from tests.processes import wait_until

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# (hours after the previous review, rating): learning steps, a lapse, relearning, long reviews.
SEQUENCE = [
    (0, Rating.GOOD),
    (0.2, Rating.GOOD),
    (24, Rating.GOOD),
    (24 * 4, Rating.HARD),
    (24 * 9, Rating.AGAIN),
    (0.2, Rating.GOOD),
    (24 * 3, Rating.EASY),
    (24 * 20, Rating.GOOD),
]
FITTED = [
    0.3,
    1.5,
    3.0,
    10.0,
    6.0,
    0.9,
    2.5,
    0.01,
    1.6,
    0.2,
    0.9,
    1.7,
    0.1,
    0.3,
    1.5,
    0.5,
    2.0,
    0.6,
    0.1,
    0.1,
    0.2,
]


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=1)


def replay(user: User, exam: Exam, scheduler: fsrs.Scheduler) -> None:
    """Review one card through our service and one fsrs.Card directly, with the same fuzz each time."""
    question = exam.questions.get()
    item = ReviewItem.objects.create(user=user, question=question, due=START)
    expected = fsrs.Card(card_id=item.pk, due=START)
    now = START
    for number, (hours, rating) in enumerate(SEQUENCE):
        now += timedelta(hours=hours)
        random.seed(number)
        services.review(item, rating, now=now)
        random.seed(number)
        expected, _log = scheduler.review_card(expected, fsrs.Rating(rating), now)
        item.refresh_from_db()
        assert fsrs.State(item.state) == expected.state, number
        assert (item.step, item.due, item.last_review) == (expected.step, expected.due, expected.last_review)
        assert item.stability == pytest.approx(expected.stability)
        assert item.difficulty == pytest.approx(expected.difficulty)


def test_reviews_follow_the_fsrs_package_with_the_default_parameters(learner: User, exam: Exam) -> None:
    replay(
        learner,
        exam,
        fsrs.Scheduler(learning_steps=scheduling.LEARNING_STEPS, relearning_steps=scheduling.RELEARNING_STEPS),
    )
    logs = list(ReviewLog.objects.values_list("rating", "state_before", "state_after"))
    assert [rating for rating, _, _ in logs] == [rating for _, rating in SEQUENCE]
    assert logs[0][1:] == (CardState.NEW, CardState.LEARNING)
    assert logs[4][1:] == (CardState.REVIEW, CardState.RELEARNING)
    assert ReviewItem.objects.get().lapses == 1


def test_reviews_use_the_learners_retention_and_fitted_parameters(learner: User, exam: Exam) -> None:
    learner.desired_retention = 0.8
    learner.save()
    LearnerParameters.objects.create(user=learner, parameters=FITTED, fitted_at=START, review_count=600)

    replay(
        learner,
        exam,
        fsrs.Scheduler(
            parameters=FITTED,
            desired_retention=0.8,
            learning_steps=scheduling.LEARNING_STEPS,
            relearning_steps=scheduling.RELEARNING_STEPS,
        ),
    )


def test_a_lower_retention_gives_longer_intervals(learner: User, exam: Exam) -> None:
    item = ReviewItem.objects.create(
        user=learner,
        question=exam.questions.get(),
        due=START,
        state=CardState.REVIEW,
        step=None,
        stability=20.0,
        difficulty=5.0,
        last_review=START - timedelta(days=20),
    )
    at_090 = scheduling.next_due(scheduling.scheduler_for(learner), item, Rating.GOOD, START)
    learner.desired_retention = 0.75
    at_075 = scheduling.next_due(scheduling.scheduler_for(learner), item, Rating.GOOD, START)

    assert at_075 - START > (at_090 - START) * 1.5


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(seconds=20), "1 min"),
        (timedelta(minutes=10), "10 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=75), "2.5 mo"),
        (timedelta(days=438), "1.2 y"),
    ],
)
def test_intervals_read_short(interval: timedelta, label: str) -> None:
    assert scheduling.interval_label(interval) == label


def test_a_new_retention_moves_the_review_cards_in_a_background_job(
    client: Client, learner: User, exam: Exam, celery_worker: object
) -> None:
    reviewed = timezone.now() - timedelta(days=5)
    item = ReviewItem.objects.create(
        user=learner,
        question=exam.questions.get(),
        due=reviewed + timedelta(days=30),
        state=CardState.REVIEW,
        step=None,
        stability=30.0,
        difficulty=5.0,
        last_review=reviewed,
    )
    client.force_login(learner)

    response = client.post(
        "/reviews/settings/", {"desired_retention": "0.80", "new_cards_per_day": "10", "reviews_per_day": "100"}
    )

    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.desired_retention, learner.new_cards_per_day, learner.reviews_per_day) == (0.8, 10, 100)
    wait_until(lambda: ReviewItem.objects.get(pk=item.pk).due != item.due, 20, "the cards to be rescheduled")
    # At 0.8 a card of stability 30 lasts far longer than the 30 days 0.9 gives it.
    assert ReviewItem.objects.get(pk=item.pk).due - reviewed > timedelta(days=60)


@pytest.mark.parametrize("retention", ["0.69", "0.98", "1", "abc", "nan", "inf", ""])
def test_a_retention_out_of_range_is_a_form_error_and_nothing_changes(
    client: Client, learner: User, retention: str
) -> None:
    client.force_login(learner)

    response = client.post(
        "/reviews/settings/", {"desired_retention": retention, "new_cards_per_day": "5", "reviews_per_day": "50"}
    )

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    learner.refresh_from_db()
    assert (learner.desired_retention, learner.new_cards_per_day) == (0.9, 20)
    assert not OutboxMessage.objects.exists()


def test_the_same_retention_saved_again_schedules_no_job(client: Client, learner: User) -> None:
    client.force_login(learner)

    client.post("/reviews/settings/", {"desired_retention": "0.9", "new_cards_per_day": "5", "reviews_per_day": "50"})

    learner.refresh_from_db()
    assert learner.new_cards_per_day == 5
    assert not OutboxMessage.objects.exists()
