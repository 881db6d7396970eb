"""Reviews due today, one by one, rescheduled by SM-2; only one's own."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from quiz import srs
from quiz.models import Exam, ReviewItem
from tests.factories import make_exam, wrong_answer


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=2)


def review_item(user: User, exam: Exam, days_overdue: int = 0) -> ReviewItem:
    question = exam.questions.first()
    assert question is not None
    due = user.local_today() - datetime.timedelta(days=days_overdue)
    return ReviewItem.objects.create(user=user, question=question, due=due)


def right_choice(item: ReviewItem) -> int:
    return item.question.choices.get(is_correct=True).pk


def test_the_reviews_page_shows_the_most_overdue_question_first(client: Client, learner: User, exam: Exam) -> None:
    review_item(learner, exam, days_overdue=0)
    last = exam.questions.last()
    assert last is not None
    ReviewItem.objects.create(user=learner, question=last, due=learner.local_today() - datetime.timedelta(days=3))
    client.force_login(learner)

    page = client.get("/reviews/").content.decode()

    assert "2 reviews left today" in page
    assert page.index(last.text) > 0


def test_a_right_answer_moves_the_due_date_by_sm2(client: Client, learner: User, exam: Exam) -> None:
    item = review_item(learner, exam)
    client.force_login(learner)

    response = client.post(f"/reviews/{item.pk}/", {"answer": right_choice(item), "confidence": srs.EASY})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.repetitions, item.interval_days, item.ease_factor) == (1, 1, Decimal("2.60"))
    assert item.due == learner.local_today() + datetime.timedelta(days=1)
    assert "Nothing to review today" in client.get("/reviews/").content.decode()


def test_a_wrong_answer_shows_the_right_one_and_keeps_the_item_coming(
    client: Client, learner: User, exam: Exam
) -> None:
    item = review_item(learner, exam)
    item.repetitions, item.interval_days = 3, 15
    item.save()
    client.force_login(learner)

    response = client.post(
        f"/reviews/{item.pk}/", {"answer": wrong_answer(item.question)[0], "confidence": srs.EASY}, follow=True
    )

    assert "Not quite. The answer is: Answer A" in response.content.decode()
    item.refresh_from_db()
    assert (item.repetitions, item.interval_days) == (0, 1)


def test_someone_elses_review_is_not_found(client: Client, learner: User, other_learner: User, exam: Exam) -> None:
    item = review_item(learner, exam)
    client.force_login(other_learner)

    response = client.post(f"/reviews/{item.pk}/", {"answer": right_choice(item), "confidence": srs.GOOD})

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.repetitions == 0


@pytest.mark.parametrize(
    "data", [{}, {"confidence": "4"}, {"answer": "999999", "confidence": "4"}, {"answer": "x", "confidence": "9"}]
)
def test_a_bad_review_submission_is_refused(client: Client, learner: User, exam: Exam, data: dict) -> None:
    item = review_item(learner, exam)
    client.force_login(learner)

    response = client.post(f"/reviews/{item.pk}/", data)

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.last_reviewed is None
