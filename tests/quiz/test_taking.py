"""A learner takes an exam in exam mode; bad submissions get form errors or 404s and write nothing.
(Practice mode, the time limit and the result's summary: test_modes.py.)"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from quiz.models import Answer, Attempt, Exam, ReviewItem
from tests.factories import make_exam, right_answers, wrong_answer


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=3)


def start(client: Client, exam: Exam, mode: str = "exam") -> Attempt:
    response = client.post(f"/exams/{exam.slug}/start/", {"mode": mode})
    assert response.status_code == 302
    return Attempt.objects.latest("started")


def test_a_learner_answers_everything_right_and_sees_the_full_score(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam)

    response = client.post(f"/attempts/{attempt.pk}/", right_answers(exam))

    assert response.status_code == 302
    assert response["Location"] == f"/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.question_count) == (3, 3)
    assert attempt.finished is not None
    page = client.get(response["Location"]).content.decode()
    assert "Score: 3 / 3 (100%)" in page
    assert "Because of reason 2." in page
    assert not ReviewItem.objects.exists()


def test_a_wrong_answer_enters_the_review_queue_due_now(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    first = exam.questions.first()
    assert first is not None
    answers = {**right_answers(exam), f"q{first.pk}": wrong_answer(first)}

    client.post(f"/attempts/{attempt.pk}/", answers)

    attempt.refresh_from_db()
    assert attempt.correct_count == 2
    item = ReviewItem.objects.get()
    assert (item.user, item.question) == (learner, first)
    assert item.due <= timezone.now()


def test_a_multiple_choice_answer_must_pick_exactly_the_right_choices(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    last = exam.questions.last()
    assert last is not None
    only_one_of_two = [choice.pk for choice in last.choices.all() if choice.is_correct][:1]

    client.post(f"/attempts/{attempt.pk}/", {**right_answers(exam), f"q{last.pk}": only_one_of_two})

    attempt.refresh_from_db()
    assert attempt.correct_count == 2


def test_an_unanswered_question_keeps_the_attempt_open_and_is_linked(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    answers = right_answers(exam)
    answers.pop(next(iter(answers)))

    response = client.post(f"/attempts/{attempt.pk}/", answers)

    assert response.status_code == 200  # the answers given are saved: no error status on a write
    assert '<a href="#question-1">Question 1</a>' in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.finished is None
    assert Answer.objects.filter(is_correct__isnull=True).count() == 1


def test_a_choice_of_another_exam_is_refused(client: Client, learner: User, exam: Exam) -> None:
    other = make_exam("other", questions=1)
    other_choice = other.questions.get().choices.first()
    assert other_choice is not None
    client.force_login(learner)
    attempt = start(client, exam)
    first = exam.questions.first()
    assert first is not None

    response = client.post(f"/attempts/{attempt.pk}/", {**right_answers(exam), f"q{first.pk}": [other_choice.pk]})

    assert response.status_code == 400
    assert "Choose one of this question&#x27;s answers." in response.content.decode()
    assert not Answer.objects.filter(is_correct__isnull=False).exists()


# "²" passes str.isdigit() but not int(); 5,000 digits pass neither int()'s limit nor a bigint.
@pytest.mark.parametrize("garbage", ["x'; DROP", "²", "9" * 5000])
def test_garbage_answers_are_refused(client: Client, learner: User, exam: Exam, garbage: str) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    first = exam.questions.first()
    assert first is not None

    response = client.post(f"/attempts/{attempt.pk}/", {**right_answers(exam), f"q{first.pk}": [garbage]})

    assert response.status_code == 400
    assert not Answer.objects.filter(is_correct__isnull=False).exists()


def test_someone_elses_attempt_is_not_found(client: Client, learner: User, other_learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    client.force_login(other_learner)

    assert client.get(f"/attempts/{attempt.pk}/").status_code == 404
    assert client.post(f"/attempts/{attempt.pk}/", right_answers(exam)).status_code == 404
    assert client.get(f"/attempts/{attempt.pk}/result/").status_code == 404
    attempt.refresh_from_db()
    assert attempt.finished is None
    assert not Answer.objects.filter(is_correct__isnull=False).exists()


def test_an_unpublished_exam_cannot_be_seen_or_started(client: Client, learner: User) -> None:
    draft = make_exam("draft", published=False)
    client.force_login(learner)

    assert client.get(f"/exams/{draft.slug}/").status_code == 404
    assert client.post(f"/exams/{draft.slug}/start/", {"mode": "exam"}).status_code == 404
    assert not Attempt.objects.exists()


def test_a_second_submission_changes_nothing(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam)
    client.post(f"/attempts/{attempt.pk}/", right_answers(exam))

    response = client.post(f"/attempts/{attempt.pk}/", {})

    assert response.status_code == 302
    assert Answer.objects.count() == 3
    attempt.refresh_from_db()
    assert attempt.correct_count == 3


def test_starting_an_exam_logged_out_asks_to_log_in(client: Client, exam: Exam) -> None:
    response = client.post(f"/exams/{exam.slug}/start/", {"mode": "exam"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Attempt.objects.exists()


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["take", "practice", "result"])
def test_exam_practice_and_result_pages_run_a_constant_number_of_queries(
    client: Client, learner: User, page: str
) -> None:
    client.force_login(learner)
    counts = []
    for size in (10, 100):
        exam = make_exam(f"exam-{size}", questions=size)
        attempt = start(client, exam, "practice" if page == "practice" else "exam")
        if page == "result":
            client.post(f"/attempts/{attempt.pk}/", right_answers(exam))
            counts.append(queries_for(client, f"/attempts/{attempt.pk}/result/"))
        else:
            counts.append(queries_for(client, f"/attempts/{attempt.pk}/"))

    assert counts[0] == counts[1], counts


def test_the_history_lists_finished_attempts_only(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    finished = start(client, exam)
    client.post(f"/attempts/{finished.pk}/", right_answers(exam))
    start(client, exam)

    page = client.get("/attempts/")

    assert page.status_code == 200
    assert [attempt.pk for attempt in page.context["page"]] == [finished.pk]
