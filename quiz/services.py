"""Taking exams and reviewing questions: one function per use case."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from quiz import srs
from quiz.models import Answer, Attempt, Choice, Exam, Question, ReviewItem


class AttemptAlreadyFinished(Exception):
    """The attempt was submitted before (another tab, a double click)."""


def questions_with_choices(exam: Exam) -> QuerySet[Question]:
    """The exam's questions in order, each with its choices, in two queries."""
    return exam.questions.prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("order", "id")))


def start_attempt(user: User, exam: Exam) -> Attempt:
    """Open a new attempt of a published exam."""
    if not exam.is_published:
        raise ValueError("only a published exam can be taken")
    return Attempt.objects.create(user=user, exam=exam)


def is_answer_correct(question: Question, selected_ids: set[int]) -> bool:
    """Right only when exactly the correct choices were selected (for either kind of question)."""
    return selected_ids == {choice.pk for choice in question.choices.all() if choice.is_correct}


@transaction.atomic
def submit_attempt(attempt: Attempt, questions: Iterable[Question], selections: Mapping[int, set[int]]) -> Attempt:
    """Score the attempt from the selected choice ids per question id and finish it.

    `selections` must already be validated (every question answered with its own choices).
    Wrongly answered questions enter the learner's review queue, due today.
    """
    now = timezone.now()
    # Claim the attempt: of two concurrent submissions exactly one updates the row.
    if not Attempt.objects.filter(pk=attempt.pk, finished__isnull=True).update(finished=now):
        raise AttemptAlreadyFinished(attempt.pk)
    questions = list(questions)
    answers = [
        Answer(attempt=attempt, question=question, is_correct=is_answer_correct(question, selections[question.pk]))
        for question in questions
    ]
    Answer.objects.bulk_create(answers)
    Answer.choices.through.objects.bulk_create(
        Answer.choices.through(answer_id=answer.pk, choice_id=choice_id)
        for answer in answers
        for choice_id in selections[answer.question_id]
    )
    attempt.finished = now
    attempt.correct_count = sum(answer.is_correct for answer in answers)
    attempt.question_count = len(answers)
    attempt.save(update_fields=["correct_count", "question_count"])
    wrong = [answer.question_id for answer in answers if not answer.is_correct]
    add_to_review_queue(attempt.user, wrong, attempt.user.local_today())
    return attempt


def add_to_review_queue(user: User, question_ids: list[int], today: date) -> None:
    """Put the questions in the user's review queue, due today, learning them anew."""
    if not question_ids:
        return
    ReviewItem.objects.bulk_create(
        [ReviewItem(user=user, question_id=question_id, due=today) for question_id in question_ids],
        update_conflicts=True,
        unique_fields=["user", "question"],
        update_fields=["due", "repetitions", "interval_days"],
    )


def due_reviews(user: User) -> QuerySet[ReviewItem]:
    """The user's review items due today or overdue, the most overdue first."""
    return ReviewItem.objects.filter(user=user, due__lte=user.local_today()).order_by("due", "pk")


@transaction.atomic
def grade_review(item: ReviewItem, quality: int) -> ReviewItem:
    """Record one review of the item and move its due date by SM-2."""
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    schedule = srs.next_schedule(srs.Schedule(item.repetitions, item.interval_days, item.ease_factor), quality)
    item.repetitions = schedule.repetitions
    item.interval_days = schedule.interval_days
    item.ease_factor = schedule.ease_factor
    item.due = item.user.local_today() + timedelta(days=schedule.interval_days)
    item.last_reviewed = timezone.now()
    item.save()
    return item
