"""The longest content a learner page shows, in both languages, and a learner who has been everywhere:
what the layout, screenshot and accessibility tests open."""

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from notifications.models import Level
from notifications.services import notify_users
from quiz import attempts, services
from quiz.models import Attempt, Choice, Exam, Question
from tests.factories import make_user
from translations import registry
from translations.models import Translation

# The code string that made the exam and result pages scroll sideways at 390 px, and words with no break.
LONG_CODE = "send_email.s(to).set(queue='email').delay()" * 3
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellung"
LONG_KOREAN = "셀러리작업큐에서이메일을보내는작업을지연실행할때어떤큐로보내지는지설명하시오"


@dataclass
class Site:
    """The learner and the paths of every learner page, by name."""

    learner: User
    exam: Exam
    paths: dict[str, str]


def translate(row: Exam | Question | Choice, **texts: str) -> None:
    """Korean, as an editor would have written it, for the given fields of the row."""
    Translation.objects.bulk_create(
        Translation(
            model=registry.label(type(row)),
            object_id=row.pk,
            field=field,
            language="ko",
            text=text,
            source_hash=registry.source_hash(getattr(row, field)),
            origin=Translation.Origin.HUMAN,
        )
        for field, text in texts.items()
    )


def long_exam() -> Exam:
    exam = Exam.objects.create(
        slug="long",
        is_published=True,
        source_language="en",
        title=f"Celery routing with {LONG_WORD}",
        description=f"Where does {LONG_CODE} go? {LONG_WORD} " * 3,
    )
    korean_description = f"{LONG_CODE} 는 어디로 가나요? {LONG_KOREAN} " * 3
    translate(exam, title=f"셀러리 라우팅 {LONG_KOREAN}", description=korean_description)
    for number in range(3):
        question = Question.objects.create(
            exam=exam,
            kind=Question.Kind.SINGLE,
            text=f"Which queue does `{LONG_CODE}` use? {LONG_WORD} (question {number + 1})",
            explanation=f"`{LONG_CODE}` names the queue itself: {LONG_WORD}.",
            order=number,
        )
        translate(
            question,
            text=f"`{LONG_CODE}` 는 어느 큐를 쓰나요? {LONG_KOREAN} (문제 {number + 1})",
            explanation=f"`{LONG_CODE}` 가 큐를 직접 지정합니다: {LONG_KOREAN}.",
        )
        for order, (english, korean) in enumerate(
            [(f"email, as {LONG_CODE} says", f"email, {LONG_CODE} 에 쓰인 대로"), (LONG_WORD, LONG_KOREAN)]
        ):
            choice = Choice.objects.create(question=question, text=english, is_correct=order == 0, order=order)
            translate(choice, text=korean)
    return exam


def learner_who_has_been_everywhere() -> Site:
    """A learner with a finished exam (every answer wrong, so each question is due for review), an
    exam under way, and a long notification: every learner page has its longest content."""
    exam = long_exam()
    learner = make_user("minji", language="en")
    questions = list(services.questions_with_choices(exam))
    finished = attempts.start_attempt(learner, exam, Attempt.Mode.EXAM)
    wrong = {question.pk: {question.choices.get(is_correct=False).pk} for question in questions}
    attempts.submit_exam(finished, questions, wrong, flagged={questions[0].pk})
    open_attempt = attempts.start_attempt(learner, exam, Attempt.Mode.EXAM)
    notify_users([learner.pk], Level.WARNING, f"Job finished: {LONG_CODE}", body=LONG_WORD)
    assert services.review_queue(learner, timezone.now()).item is not None
    paths = {
        "home": "/",
        "exam-list": "/exams/",
        "exam-detail": f"/exams/{exam.slug}/",
        "exam": f"/attempts/{open_attempt.pk}/",
        "result": f"/attempts/{finished.pk}/result/",
        "reviews": "/reviews/",
        "progress": "/progress/",
        "notifications": "/notifications/",
        "profile": "/accounts/profile/",
        "history": "/attempts/",
        "study-settings": "/reviews/settings/",
    }
    return Site(learner, exam, paths)


ANONYMOUS_PATHS = {"sign-up": "/accounts/signup/", "log-in": "/accounts/login/"}
