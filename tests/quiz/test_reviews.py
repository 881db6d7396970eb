"""Reviews: answer, see the verdict on the same card, then rate it; FSRS schedules it; only one's own."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from quiz import services
from quiz.models import LEECH_LAPSES, CardState, Exam, Question, Rating, ReviewItem, ReviewLog
from tests.factories import make_exam, wrong_answer


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=3)


def card(user: User, question: Question, due: datetime | None = None, **fields: object) -> ReviewItem:
    return ReviewItem.objects.create(user=user, question=question, due=due or timezone.now(), **fields)


def reviewed_card(user: User, question: Question, due: datetime, lapses: int = 0) -> ReviewItem:
    """A card in the review state, last seen ten days before it fell due."""
    return card(
        user,
        question,
        due,
        state=CardState.REVIEW,
        step=None,
        stability=10.0,
        difficulty=5.0,
        last_review=due - timedelta(days=10),
        lapses=lapses,
    )


def right_choices(question: Question) -> list[int]:
    return [choice.pk for choice in question.choices.all() if choice.is_correct]


def test_the_most_overdue_card_comes_first_and_the_page_counts_what_is_left(
    client: Client, learner: User, exam: Exam
) -> None:
    first, second, third = exam.questions.all()
    now = timezone.now()
    reviewed_card(learner, first, now - timedelta(days=1))
    reviewed_card(learner, second, now - timedelta(days=3))
    card(learner, third)  # new
    client.force_login(learner)

    page = client.get("/reviews/").content.decode()

    assert "3 cards left today" in page
    assert second.text in page and first.text not in page


def test_checking_an_answer_shows_the_verdict_on_the_same_card_then_the_four_ratings(
    client: Client, learner: User, exam: Exam
) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question)
    client.force_login(learner)

    response = client.post(f"/reviews/{item.pk}/check/", {"answer": right_choices(question), "duration_ms": "4200"})

    page = response.content.decode()
    assert response.status_code == 200
    assert question.text in page and "Right!" in page and "Because of reason 1." in page
    assert [f'name="rating" value="{rating}"' in page for rating in (1, 2, 3, 4)] == [True] * 4
    # A new card: Again and Hard keep it in its learning steps, Good too, Easy graduates it.
    assert [label for label in ("1 min", "6 min", "10 min") if label in page] == ["1 min", "6 min", "10 min"]
    assert 'value="3" data-key="3" class="rating rating-3" autofocus' in page
    assert not ReviewLog.objects.exists()


def test_a_wrong_answer_defaults_to_again(client: Client, learner: User, exam: Exam) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question)
    client.force_login(learner)

    page = client.post(f"/reviews/{item.pk}/check/", {"answer": wrong_answer(question)}).content.decode()

    assert "Not quite." in page
    assert 'value="1" data-key="1" class="rating rating-1" autofocus' in page


def test_rating_a_card_logs_the_review_and_schedules_it(client: Client, learner: User, exam: Exam) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question)
    client.force_login(learner)

    response = client.post(
        f"/reviews/{item.pk}/", {"answer": right_choices(question), "rating": Rating.GOOD, "duration_ms": "4200"}
    )

    assert response.status_code == 302
    item.refresh_from_db()
    log = ReviewLog.objects.get()
    assert (log.user, log.item, log.rating, log.duration_ms) == (learner, item, Rating.GOOD, 4200)
    assert (log.state_before, log.state_after) == (CardState.NEW, CardState.LEARNING)
    assert log.due_after == item.due
    assert timedelta(minutes=9) < item.due - log.reviewed_at <= timedelta(minutes=10)


def test_a_missed_card_comes_back_in_the_same_sitting(client: Client, learner: User, exam: Exam) -> None:
    question = exam.questions.first()
    assert question is not None
    item = reviewed_card(learner, question, timezone.now() - timedelta(hours=1))
    client.force_login(learner)

    client.post(f"/reviews/{item.pk}/", {"answer": wrong_answer(question), "rating": Rating.AGAIN})

    item.refresh_from_db()
    assert (item.state, item.lapses) == (CardState.RELEARNING, 1)
    assert item.due - timezone.now() <= timedelta(minutes=10)
    # Learning cards due within the learn-ahead window are shown rather than making the learner wait.
    assert question.text in client.get("/reviews/").content.decode()


def test_the_daily_limits_hold_back_new_cards_and_reviews(client: Client, learner: User, exam: Exam) -> None:
    first, second, third = exam.questions.all()
    learner.new_cards_per_day, learner.reviews_per_day = 1, 0
    learner.save()
    card(learner, first)
    card(learner, second)
    reviewed_card(learner, third, timezone.now() - timedelta(days=1))

    queue = services.review_queue(learner)

    assert queue.item is not None
    assert (queue.item.question_id, queue.left) == (first.pk, 1)
    services.review(queue.item, Rating.EASY)
    assert services.review_queue(learner).item is None


def test_the_eighth_lapse_makes_a_leech_flagged_to_the_learner(client: Client, learner: User, exam: Exam) -> None:
    question = exam.questions.first()
    assert question is not None
    item = reviewed_card(learner, question, timezone.now() - timedelta(days=1), lapses=LEECH_LAPSES - 1)
    client.force_login(learner)

    client.post(f"/reviews/{item.pk}/", {"answer": wrong_answer(question), "rating": Rating.AGAIN})

    item.refresh_from_db()
    assert item.is_leech
    assert Notification.objects.get(user=learner).title == "A question keeps slipping away"
    page = client.post(f"/reviews/{item.pk}/check/", {"answer": wrong_answer(question)}).content.decode()
    assert "keeps slipping away" in page


def test_someone_elses_card_is_not_found(client: Client, learner: User, other_learner: User, exam: Exam) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question)
    client.force_login(other_learner)

    for path in (f"/reviews/{item.pk}/check/", f"/reviews/{item.pk}/"):
        response = client.post(path, {"answer": right_choices(question), "rating": Rating.GOOD})
        assert response.status_code == 404
    assert not ReviewLog.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating": "3"},
        {"answer": "999999", "rating": "3"},
        {"answer": "x", "rating": "3"},
        {"answer": "RIGHT", "rating": "0"},
        {"answer": "RIGHT", "rating": "5"},
        {"answer": "RIGHT", "rating": "good"},
        {"answer": "RIGHT"},
        {"answer": "RIGHT", "rating": "3", "duration_ms": "-1"},
        {"answer": "²", "rating": "²"},  # a digit to str.isdigit(), not to int()
        {"answer": "9" * 5000, "rating": "9" * 5000},
    ],
)
def test_a_bad_rating_is_refused_and_nothing_is_written(
    client: Client, learner: User, exam: Exam, data: dict[str, str]
) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question)
    before = ReviewItem.objects.filter(pk=item.pk).values().get()
    client.force_login(learner)
    form: dict[str, str | list[int]] = {**data}
    if data.get("answer") == "RIGHT":
        form["answer"] = right_choices(question)

    response = client.post(f"/reviews/{item.pk}/", form)

    assert response.status_code == 400
    assert ReviewItem.objects.filter(pk=item.pk).values().get() == before
    assert not ReviewLog.objects.exists()


@pytest.mark.parametrize(
    "damage",
    [
        {"state": 9},
        {"state": CardState.REVIEW, "step": None, "stability": None},
        {"state": CardState.REVIEW, "step": 0, "stability": 5.0, "difficulty": 5.0},
        {"state": CardState.REVIEW, "step": None, "stability": -1.0, "difficulty": 5.0},
        {"state": CardState.RELEARNING, "step": 0, "stability": 5.0, "difficulty": 42.0},
    ],
)
def test_a_corrupt_stored_card_is_refused_clearly_and_left_as_it_was(
    client: Client, learner: User, exam: Exam, damage: dict[str, int | float | None]
) -> None:
    question = exam.questions.first()
    assert question is not None
    item = card(learner, question, last_review=timezone.now() - timedelta(days=3))
    ReviewItem.objects.filter(pk=item.pk).update(**damage)
    before = ReviewItem.objects.filter(pk=item.pk).values().get()
    client.force_login(learner)

    checked = client.post(f"/reviews/{item.pk}/check/", {"answer": right_choices(question)})
    rated = client.post(f"/reviews/{item.pk}/", {"answer": right_choices(question), "rating": Rating.GOOD})

    assert (checked.status_code, rated.status_code) == (409, 409)
    assert "stored schedule is damaged" in rated.content.decode()
    assert ReviewItem.objects.filter(pk=item.pk).values().get() == before
    assert not ReviewLog.objects.exists()


def test_the_review_page_runs_the_same_queries_whatever_the_history(client: Client, learner: User) -> None:
    first, second, *rest = make_exam("long", questions=40).questions.all()
    client.force_login(learner)

    def queries_of_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/reviews/").status_code == 200
        return len(queries)

    for question in (first, second):
        services.review(card(learner, question), Rating.AGAIN)
    queries_of_the_page()  # the first request of a session also fills caches
    short_history = queries_of_the_page()
    for question in rest:
        item = card(learner, question, timezone.now() - timedelta(days=1))
        for rating in (Rating.AGAIN, Rating.GOOD, Rating.GOOD):
            services.review(item, rating)

    assert ReviewLog.objects.count() == 2 + 3 * len(rest)
    assert queries_of_the_page() == short_history
