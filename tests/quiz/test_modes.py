"""Practice and exam mode: shuffled choices, answers and flags saved one at a time, the time limit the
server enforces, the result's summary and the retake of the questions missed; and bad input refused
without a server error or a half-written record."""

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from accounts.models import User
from quiz import attempts
from quiz.models import Answer, Attempt, Exam, Question, ReviewItem
from tests.factories import make_exam, make_user, wrong_answer

if TYPE_CHECKING:  # the test client's response, a type only django-stubs names
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

JSON = {"Accept": "application/json"}


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=3)


@pytest.fixture
def timed_exam(db: None) -> Exam:
    return make_exam("timed", questions=3, time_limit_minutes=1)


def questions(exam: Exam) -> list[Question]:
    return list(exam.questions.prefetch_related("choices"))


def right(question: Question) -> list[int]:
    return [choice.pk for choice in question.choices.all() if choice.is_correct]


def start(client: Client, exam: Exam, mode: str) -> Attempt:
    response = client.post(f"/exams/{exam.slug}/start/", {"mode": mode})
    assert response.status_code == 302
    attempt = Attempt.objects.latest("started")
    assert response["Location"] == f"/attempts/{attempt.pk}/"
    return attempt


def answer(
    client: Client, attempt: Attempt, question: Question, choice_ids: list[int], headers: dict[str, str] | None = None
) -> "TestResponse":
    return client.post(
        f"/attempts/{attempt.pk}/answer/", {"question": question.pk, "answer": choice_ids}, headers=headers
    )


def answered_rows(attempt: Attempt) -> list[tuple[int, bool | None]]:
    rows = Answer.objects.filter(attempt=attempt).order_by("question__order")
    return list(rows.values_list("question_id", "is_correct"))


def make_late(attempt: Attempt) -> None:
    """As if the learner had sat on the page past the deadline and its grace."""
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - attempts.GRACE - timedelta(seconds=1))


# --- Starting: the exam page offers both modes.


def test_the_exam_page_offers_practice_and_exam_with_the_time_limit(
    client: Client, learner: User, timed_exam: Exam
) -> None:
    client.force_login(learner)

    page = client.get(f"/exams/{timed_exam.slug}/").content.decode()

    assert "Start practice" in page
    assert "Start the exam" in page
    assert "Time limit: 1 minute." in page


def test_the_exam_page_and_its_modes_read_in_korean(client: Client, timed_exam: Exam) -> None:
    client.force_login(make_user("minji", language="ko"))

    page = client.get(f"/exams/{timed_exam.slug}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "연습 시작" in page
    assert "제한 시간: 1분." in page


def test_an_exam_attempt_of_a_timed_exam_gets_a_deadline_and_practice_never_does(
    client: Client, learner: User, timed_exam: Exam
) -> None:
    client.force_login(learner)
    before = timezone.now()

    exam_attempt = start(client, timed_exam, "exam")
    practice = start(client, timed_exam, "practice")

    assert exam_attempt.mode == Attempt.Mode.EXAM
    assert exam_attempt.deadline is not None
    assert before + timedelta(minutes=1) <= exam_attempt.deadline <= timezone.now() + timedelta(minutes=1)
    assert (practice.mode, practice.deadline) == (Attempt.Mode.PRACTICE, None)


@pytest.mark.parametrize("mode", ["", "speedrun", "exam\x00"])
def test_an_unknown_mode_is_a_form_error_and_starts_nothing(
    client: Client, learner: User, exam: Exam, mode: str
) -> None:
    client.force_login(learner)

    response = client.post(f"/exams/{exam.slug}/start/", {"mode": mode})

    assert response.status_code == 400
    assert "Choose practice or exam." in response.content.decode()
    assert not Attempt.objects.exists()


def test_each_attempt_shuffles_the_choices_and_keeps_its_order_on_every_page(
    client: Client, learner: User, db: None
) -> None:
    # Twenty questions of four choices: all in their authored order by chance has odds of 24^-20.
    exam = make_exam("many", questions=20)
    client.force_login(learner)
    attempt = start(client, exam, "exam")

    order = attempt.choice_order
    authored = {str(q.pk): [c.pk for c in q.choices.all()] for q in questions(exam)}
    assert order.keys() == authored.keys()
    assert all(sorted(order[key]) == sorted(authored[key]) for key in authored)
    assert order != authored
    shown = [[c.pk for c in q.choices.all()] for q in attempts.questions_of(attempt)]
    assert shown == [order[str(q.pk)] for q in questions(exam)]

    def choice_ids_in(page: str, question: Question) -> list[int]:
        ids = [c.pk for c in question.choices.all()]
        return sorted(ids, key=lambda pk: page.index(f'value="{pk}"'))

    first = questions(exam)[0]
    for _ in range(2):  # a reload shows the same order
        page = client.get(f"/attempts/{attempt.pk}/").content.decode()
        assert choice_ids_in(page, first) == order[str(first.pk)]
    attempts.finish_attempt(attempt)
    result = client.get(f"/attempts/{attempt.pk}/result/").content.decode()
    texts = {c.pk: c.text for c in first.choices.all()}
    section = result[result.index('id="question-1"') : result.index('id="question-2"')]
    assert sorted(texts, key=lambda pk: section.index(texts[pk])) == order[str(first.pk)]


# --- Practice: one question at a time, feedback at once, resumable.


def test_practice_shows_one_question_then_its_feedback_and_explanation(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert "Question 1 of python?" in page
    assert "Question 2 of python?" not in page
    assert "data-choice-keys" in page
    assert '<progress max="3" value="0"' in page

    response = answer(client, attempt, first, wrong_answer(first))
    assert response.status_code == 302
    assert response["Location"] == f"/attempts/{attempt.pk}/?question=1"
    feedback = client.get(response["Location"]).content.decode()
    assert "Not quite." in feedback
    assert "Because of reason 1." in feedback
    assert f'href="/attempts/{attempt.pk}/?question=2"' in feedback
    assert '<progress max="3" value="1"' in feedback


def test_a_wrong_practice_answer_enters_the_review_queue_at_once(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]

    answer(client, attempt, first, wrong_answer(first))

    item = ReviewItem.objects.get()
    assert (item.user, item.question) == (learner, first)
    assert item.due <= timezone.now()
    attempt.refresh_from_db()
    assert attempt.finished is None


def test_in_practice_the_first_answer_stands(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]
    answer(client, attempt, first, wrong_answer(first))

    response = answer(client, attempt, first, right(first))

    assert response.status_code == 302
    assert answered_rows(attempt)[0] == (first.pk, False)


def test_a_practice_attempt_can_be_stopped_and_resumed_where_it_stopped(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]
    answer(client, attempt, first, right(first))

    detail = client.get(f"/exams/{exam.slug}/").content.decode()
    resumed = client.get(f"/attempts/{attempt.pk}/").content.decode()

    assert "Resume practice" in detail
    assert "1 of 3 answered" in detail
    assert f'href="/attempts/{attempt.pk}/"' in detail
    assert "Question 2 of python?" in resumed
    assert "Question 1 of python?" not in resumed


def test_the_last_practice_answer_finishes_and_scores_the_attempt(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first, second, third = questions(exam)
    answer(client, attempt, first, right(first))
    answer(client, attempt, second, wrong_answer(second))

    response = answer(client, attempt, third, right(third))

    attempt.refresh_from_db()
    assert attempt.finished is not None
    assert (attempt.correct_count, attempt.question_count) == (2, 3)
    feedback = client.get(response["Location"]).content.decode()
    assert "Right!" in feedback
    assert f'href="/attempts/{attempt.pk}/result/"' in feedback
    assert list(ReviewItem.objects.values_list("question_id", flat=True)) == [second.pk]


def test_a_practice_answer_without_a_choice_is_a_form_error(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]

    response = client.post(f"/attempts/{attempt.pk}/answer/", {"question": first.pk})

    assert response.status_code == 400
    assert "Answer this question." in response.content.decode()
    assert answered_rows(attempt)[0] == (first.pk, None)


def test_a_flag_sent_with_a_practice_answer_is_kept(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")
    first = questions(exam)[0]

    client.post(f"/attempts/{attempt.pk}/answer/", {"question": first.pk, "answer": right(first), "flagged": "1"})

    assert Answer.objects.get(attempt=attempt, question=first).flagged


# --- Exam mode: everything on one page, saved as the learner goes, feedback at the end.


def test_an_exam_answer_is_saved_at_once_can_be_changed_and_gives_no_feedback(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    first = questions(exam)[0]

    saved = answer(client, attempt, first, wrong_answer(first), headers=JSON)
    changed = answer(client, attempt, first, right(first), headers=JSON)

    assert (saved.status_code, changed.status_code) == (200, 200)
    assert changed.json() == {"question": first.pk, "answered": True}
    assert "correct" not in saved.content.decode()
    assert answered_rows(attempt)[0] == (first.pk, True)
    assert set(Answer.objects.get(attempt=attempt, question=first).choices.values_list("pk", flat=True)) == set(
        right(first)
    )
    assert not ReviewItem.objects.exists()  # an exam's misses reach the queue only when it ends


def test_the_exam_page_shows_saved_answers_and_flags_in_its_question_list(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    first, second, _third = questions(exam)
    answer(client, attempt, first, right(first), headers=JSON)
    client.post(f"/attempts/{attempt.pk}/flag/", {"question": second.pk, "flagged": "1"}, headers=JSON)

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()

    assert f'data-nav="{first.pk}" class="answered"' in page
    assert f'data-nav="{second.pk}" class=" flagged"' in page
    assert "1 of 3 answered" in page
    assert f'name="flagged" value="{second.pk}" checked' in page


def test_a_complete_final_submit_scores_the_exam_and_queues_the_misses(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    first, second, third = questions(exam)
    data = {f"q{first.pk}": wrong_answer(first), f"q{second.pk}": right(second), f"q{third.pk}": right(third)}

    response = client.post(f"/attempts/{attempt.pk}/", {**data, "flagged": [third.pk]})

    assert response["Location"] == f"/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.question_count) == (2, 3)
    assert list(ReviewItem.objects.values_list("question_id", flat=True)) == [first.pk]
    assert list(Answer.objects.filter(attempt=attempt, flagged=True).values_list("question_id", flat=True)) == [
        third.pk
    ]


def test_an_incomplete_submit_keeps_what_was_given_and_links_to_the_questions_left(
    client: Client, learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    first, _second, third = questions(exam)

    response = client.post(f"/attempts/{attempt.pk}/", {f"q{first.pk}": right(first)})

    assert response.status_code == 200  # the answer given is saved: no error status on a write
    page = response.content.decode()
    assert "Answer every question before you submit: 2 are left." in page
    assert '<a href="#question-2">Question 2</a>' in page
    assert '<a href="#question-3">Question 3</a>' in page
    assert 'id="question-2"' in page
    attempt.refresh_from_db()
    assert attempt.finished is None
    assert [correct for _pk, correct in answered_rows(attempt)] == [True, None, None]

    client.post(f"/attempts/{attempt.pk}/", {f"q{_second.pk}": right(_second), f"q{third.pk}": right(third)})

    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.question_count) == (3, 3)  # the first answer was kept


def test_a_final_submit_with_a_bad_choice_writes_nothing(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    first, second, _third = questions(exam)

    response = client.post(
        f"/attempts/{attempt.pk}/", {f"q{first.pk}": right(first), f"q{second.pk}": right(first), "flagged": [first.pk]}
    )

    assert response.status_code == 400
    assert "Choose one of this question&#x27;s answers." in response.content.decode()
    assert [correct for _pk, correct in answered_rows(attempt)] == [None, None, None]
    assert not Answer.objects.filter(attempt=attempt, flagged=True).exists()


# --- The time limit, enforced by the server.


def test_an_answer_after_the_deadline_and_its_grace_is_refused_and_the_attempt_is_scored_as_it_stood(
    client: Client, learner: User, timed_exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, timed_exam, "exam")
    first, second, _third = questions(timed_exam)
    answer(client, attempt, first, right(first), headers=JSON)
    make_late(attempt)

    response = answer(client, attempt, second, right(second), headers=JSON)

    assert response.status_code == 409
    assert response.json() == {
        "error": "The time limit is over, so this answer was not saved. Your attempt was scored as it stood.",
        "result_url": f"/attempts/{attempt.pk}/result/",
    }
    attempt.refresh_from_db()
    assert attempt.finished is not None
    assert (attempt.correct_count, attempt.question_count) == (1, 3)
    assert [correct for _pk, correct in answered_rows(attempt)] == [True, None, None]
    result = client.get(f"/attempts/{attempt.pk}/result/").content.decode()
    assert "The time limit ended this attempt." in result


def test_a_final_submit_after_the_grace_is_refused_with_a_clear_message(
    client: Client, learner: User, timed_exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, timed_exam, "exam")
    first = questions(timed_exam)[0]
    make_late(attempt)

    response = client.post(f"/attempts/{attempt.pk}/", {f"q{first.pk}": right(first)}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(f"/attempts/{attempt.pk}/result/", 302)]
    assert "The time limit is over, so these answers were not saved." in page
    assert "Score: 0 / 3 (0%)" in page


def test_answers_sent_as_the_countdown_ends_are_taken_within_the_grace(learner: User, timed_exam: Exam) -> None:
    attempt = attempts.start_attempt(learner, timed_exam)
    assert attempt.deadline is not None
    first, second, _third = attempts.questions_of(attempt)
    just_after = attempt.deadline + attempts.GRACE - timedelta(seconds=1)

    finished = attempts.submit_exam(attempt, [first, second], {first.pk: set(right(first))}, set(), now=just_after)

    assert finished  # the time is up, so the attempt ends, incomplete as it is
    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.question_count) == (1, 3)


def test_opening_an_attempt_whose_time_ran_out_finishes_it(client: Client, learner: User, timed_exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, timed_exam, "exam")
    make_late(attempt)

    response = client.get(f"/attempts/{attempt.pk}/", follow=True)

    assert response.redirect_chain == [(f"/attempts/{attempt.pk}/result/", 302)]
    assert "The time limit is over. Your attempt was scored as it stood." in response.content.decode()


def test_the_exam_page_counts_down_from_the_seconds_the_server_counts(
    client: Client, learner: User, timed_exam: Exam
) -> None:
    client.force_login(learner)
    attempt = start(client, timed_exam, "exam")

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()

    assert 'role="timer" data-seconds-left="59"' in page or 'role="timer" data-seconds-left="60"' in page


def test_a_flag_after_the_grace_is_refused_too(learner: User, timed_exam: Exam) -> None:
    attempt = attempts.start_attempt(learner, timed_exam)
    assert attempt.deadline is not None
    question = attempts.questions_of(attempt).first()
    assert question is not None

    with pytest.raises(attempts.TimeUp):
        attempts.set_flag(attempt, question.pk, True, now=attempt.deadline + attempts.GRACE + timedelta(seconds=1))

    attempt.refresh_from_db()
    assert attempt.finished is not None
    assert not Answer.objects.filter(attempt=attempt, flagged=True).exists()


# --- Bad input: a clear refusal, never a server error, never a half-written record.


def test_an_answer_to_a_question_not_in_the_attempt_is_refused(client: Client, learner: User, exam: Exam) -> None:
    other = make_exam("other", questions=1).questions.get()
    client.force_login(learner)
    attempt = start(client, exam, "exam")

    as_json = answer(client, attempt, other, right(other), headers=JSON)
    as_page = answer(client, attempt, other, right(other))
    missing = client.post(f"/attempts/{attempt.pk}/answer/", {"question": "²", "answer": right(other)})

    assert (as_json.status_code, as_page.status_code, missing.status_code) == (400, 400, 400)
    assert as_json.json() == {"error": "That question is not part of this attempt."}
    assert "That question is not part of this attempt." in as_page.content.decode()
    assert not Answer.objects.filter(is_correct__isnull=False).exists()


def test_an_answer_with_a_choice_of_another_question_is_a_form_error(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    practice, graded = start(client, exam, "practice"), start(client, exam, "exam")
    first, second, _third = questions(exam)

    on_page = answer(client, practice, first, right(second))
    as_json = answer(client, graded, first, right(second), headers=JSON)

    assert (on_page.status_code, as_json.status_code) == (400, 400)
    assert "Choose one of this question&#x27;s answers." in on_page.content.decode()
    assert as_json.json() == {"error": "Choose one of this question's answers."}
    assert not Answer.objects.filter(is_correct__isnull=False).exists()
    assert not ReviewItem.objects.exists()


def test_a_flag_of_a_question_not_in_the_attempt_is_refused(client: Client, learner: User, exam: Exam) -> None:
    other = make_exam("other", questions=1).questions.get()
    client.force_login(learner)
    attempt = start(client, exam, "exam")

    response = client.post(f"/attempts/{attempt.pk}/flag/", {"question": other.pk, "flagged": "1"}, headers=JSON)
    garbage = client.post(f"/attempts/{attempt.pk}/flag/", {"question": "9" * 40, "flagged": "1"})
    in_submit = client.post(f"/attempts/{attempt.pk}/", {"flagged": [other.pk]})

    assert (response.status_code, garbage.status_code, in_submit.status_code) == (400, 400, 400)
    assert response.json() == {"error": "That question is not part of this attempt."}
    assert "Only this exam&#x27;s questions can be flagged." in in_submit.content.decode()
    assert not Answer.objects.filter(flagged=True).exists()


def test_another_learners_attempt_cannot_be_resumed_answered_flagged_or_retaken(
    client: Client, learner: User, other_learner: User, exam: Exam
) -> None:
    client.force_login(learner)
    practice = start(client, exam, "practice")
    finished = start(client, exam, "exam")
    attempts.finish_attempt(finished)
    first = questions(exam)[0]
    client.force_login(other_learner)

    statuses = [
        client.get(f"/attempts/{practice.pk}/").status_code,
        client.get(f"/attempts/{practice.pk}/?question=1").status_code,
        answer(client, practice, first, right(first)).status_code,
        client.post(f"/attempts/{practice.pk}/flag/", {"question": first.pk, "flagged": "1"}).status_code,
        client.post(f"/attempts/{finished.pk}/retake/").status_code,
        client.get(f"/attempts/{finished.pk}/result/").status_code,
    ]

    assert statuses == [404] * 6
    assert not Answer.objects.filter(is_correct__isnull=False).exists()
    assert not Answer.objects.filter(flagged=True).exists()
    assert Attempt.objects.count() == 2


@pytest.mark.parametrize("number", ["0", "4", "-1", "x", "²", "9" * 30])
def test_a_practice_question_number_out_of_range_is_not_found(
    client: Client, learner: User, exam: Exam, number: str
) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "practice")

    assert client.get(f"/attempts/{attempt.pk}/", {"question": number}).status_code == 404


def test_an_answer_to_a_finished_attempt_is_refused(client: Client, learner: User, exam: Exam) -> None:
    client.force_login(learner)
    attempt = start(client, exam, "exam")
    attempts.finish_attempt(attempt)
    first = questions(exam)[0]

    response = answer(client, attempt, first, right(first), headers=JSON)

    assert response.status_code == 409
    assert response.json()["error"] == "This attempt is finished; see its result."
    assert not Answer.objects.filter(is_correct__isnull=False).exists()


# --- The result: a summary first, then the detail; retake the missed ones, review now.


def test_the_result_opens_with_a_summary_grid_linking_to_each_question(
    client: Client, learner: User, exam: Exam
) -> None:
    attempt = attempts.start_attempt(learner, exam)
    first, second, _third = attempts.questions_of(attempt)
    attempts.save_answer(attempt, first, set(right(first)))
    attempts.save_answer(attempt, second, set(wrong_answer(second)))
    attempts.set_flag(attempt, second.pk, True)
    attempts.finish_attempt(attempt)
    client.force_login(learner)

    page = client.get(f"/attempts/{attempt.pk}/result/").content.decode()

    assert "Score: 1 / 3 (33%)" in page
    assert "Time taken: 0:00" in page
    assert '<a href="#question-1" class="right">' in page
    assert '<a href="#question-2" class="wrong flagged">' in page
    assert '<a href="#question-3" class="unanswered">' in page
    assert all(f'id="question-{number}"' in page for number in (1, 2, 3))
    assert page.index("Retake the wrong ones") < page.index('id="question-1"')
    assert page.index('href="/reviews/"') < page.index('id="question-1"')
    assert "2 questions, as practice" in page


def test_retaking_the_wrong_ones_practises_only_the_questions_missed(client: Client, learner: User, exam: Exam) -> None:
    attempt = attempts.start_attempt(learner, exam)
    first, second, _third = attempts.questions_of(attempt)
    attempts.save_answer(attempt, first, set(right(first)))
    attempts.save_answer(attempt, second, set(wrong_answer(second)))
    attempts.finish_attempt(attempt)  # the third was left unanswered
    client.force_login(learner)

    response = client.post(f"/attempts/{attempt.pk}/retake/")

    retake = Attempt.objects.latest("started")
    assert response["Location"] == f"/attempts/{retake.pk}/"
    assert retake.mode == Attempt.Mode.PRACTICE
    assert [pk for pk, _correct in answered_rows(retake)] == [second.pk, _third.pk]
    assert retake.question_count == 2
    page = client.get(response["Location"]).content.decode()
    assert "Question 2 of python?" in page
    assert "Question 1 of 2" in page


def test_an_attempt_answered_all_right_has_nothing_to_retake(client: Client, learner: User, exam: Exam) -> None:
    attempt = attempts.start_attempt(learner, exam)
    for question in attempts.questions_of(attempt):
        attempts.save_answer(attempt, question, set(right(question)))
    attempts.finish_attempt(attempt)
    client.force_login(learner)

    page = client.get(f"/attempts/{attempt.pk}/result/").content.decode()
    response = client.post(f"/attempts/{attempt.pk}/retake/", follow=True)

    assert "Retake the wrong ones" not in page
    assert "there is nothing to retake" in response.content.decode()
    assert Attempt.objects.count() == 1


# --- Editors set the time limit; attempts begun before this change can still be taken.


def test_admin_exam_form_has_the_time_limit(client: Client, exam: Exam) -> None:
    client.force_login(make_user("editor", is_staff=True, is_superuser=True))

    page = client.get(f"/admin/quiz/exam/{exam.pk}/change/").content.decode()

    assert 'name="time_limit_minutes"' in page


@pytest.mark.django_db(transaction=True)
def test_an_attempt_open_before_the_modes_gets_its_questions_from_the_migration() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("quiz", "0005_fsrs")])
    old = executor.loader.project_state([("quiz", "0005_fsrs")]).apps
    exam = make_exam("legacy", questions=2)
    user = make_user("legacy")
    open_id = old.get_model("quiz", "Attempt").objects.create(user_id=user.pk, exam_id=exam.pk).pk

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    attempt = Attempt.objects.get(pk=open_id)
    assert attempt.question_count == 2
    shown = [entry.question.pk for entry in attempts.entries(attempt)]
    assert shown == list(exam.questions.values_list("pk", flat=True))
