"""The shared cast of users and exams tests build on."""

import uuid
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from django_celery_results.models import GroupResult, TaskResult
from fsrs.scheduler import DEFAULT_PARAMETERS

from accounts.models import Lockout, User
from quiz.models import (
    CardState,
    Choice,
    Exam,
    LearnerParameters,
    Question,
    Rating,
    ReviewItem,
    ReviewLog,
)
from translations import registry
from translations.models import Translation

PASSWORD = "correct horse battery staple"


def make_user(username: str, **fields: Any) -> User:
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=PASSWORD, **fields)


def make_exam(slug: str = "python", questions: int = 3, published: bool = True, **fields: Any) -> Exam:
    """An exam of single-choice questions whose first choice is the right one; the last one,
    if there are at least two, is a multiple-choice question whose first two choices are right."""
    fields.setdefault("title", f"Exam {slug}")
    fields.setdefault("source_language", "en")
    exam = Exam.objects.create(slug=slug, is_published=published, **fields)
    for number in range(questions):
        multiple = questions > 1 and number == questions - 1
        question = Question.objects.create(
            exam=exam,
            kind=Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE,
            text=f"Question {number + 1} of {slug}?",
            explanation=f"Because of reason {number + 1}.",
            order=number,
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                text=f"Answer {letter}",
                is_correct=letter == "A" or (multiple and letter == "B"),
                order=i,
            )
            for i, letter in enumerate("ABCD")
        )
    return exam


def right_answers(exam: Exam) -> dict[str, list[int]]:
    """POST data answering every question of the exam correctly."""
    return {
        f"q{question.pk}": [choice.pk for choice in question.choices.all() if choice.is_correct]
        for question in exam.questions.all()
    }


def wrong_answer(question: Question) -> list[int]:
    return [choice.pk for choice in question.choices.all() if not choice.is_correct][:1]


def make_records_admin_shows(exam: Exam, username: str) -> None:
    """One row of each model Admin shows that no feature makes on its own: a group, every kind of
    schedule, a periodic task, task and group results, a lockout of username, a translation of exam,
    and the user's card of its first question with one review and fitted parameters."""
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    now = timezone.now()
    user = User.objects.get(username=username)
    item, _ = ReviewItem.objects.get_or_create(user=user, question=exam.questions.all()[0], defaults={"due": now})
    for row in (
        Group(name="editors"),
        CrontabSchedule(minute="0"),
        ClockedSchedule(clocked_time=now),
        SolarSchedule(event="sunrise", latitude=37.5, longitude=127.0),
        PeriodicTask(name="admin ping", task="jobs.tasks.ping", interval=interval),
        TaskResult(task_id=str(uuid.uuid4()), task_name="jobs.tasks.ping", status="SUCCESS"),
        GroupResult(group_id=str(uuid.uuid4())),
        Lockout(username=username, ip_address="127.0.0.1", path="/accounts/login/", locked_until=now),
        Translation(
            model="quiz.exam",
            object_id=exam.pk,
            field="title",
            language="ko",
            text="파이썬 시험",
            source_hash=registry.source_hash(exam.title),
        ),
        ReviewLog(
            item=item,
            user=user,
            rating=Rating.GOOD,
            reviewed_at=now,
            state_before=CardState.NEW,
            due_before=now,
            state_after=CardState.LEARNING,
            due_after=now,
        ),
        LearnerParameters(user=user, parameters=list(DEFAULT_PARAMETERS), fitted_at=now, review_count=512),
    ):
        row.save()
