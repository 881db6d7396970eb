"""Taking an exam: an attempt's questions and its shuffled choices, answers and flags saved one at a
time, the time limit, finishing and scoring, and a retake of the questions missed.

An attempt's questions are its Answer rows, made when it starts (is_correct None until answered): the
exam may gain or lose questions later, and a retake holds only some of them.
"""

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from quiz import progress
from quiz.models import Answer, Attempt, Choice, Exam, Question
from quiz.services import add_to_review_queue, is_answer_correct

# Answers are accepted this long after the deadline: the one sent as the countdown ends is on its way.
GRACE = timedelta(seconds=15)


class AttemptFinished(Exception):
    """The attempt was finished before (another tab, a double click, its time limit)."""


class TimeUp(Exception):
    """The answer came after the deadline and its grace: it was refused, and the attempt finished as it stood."""


class NotInAttempt(Exception):
    """The question is not one of this attempt's."""


class AlreadyAnswered(Exception):
    """In practice mode the first answer stands: its feedback has been shown."""


class NothingToRetake(Exception):
    """Every question of the attempt was answered right."""


def start_attempt(user: User, exam: Exam, mode: str = Attempt.Mode.EXAM, now: datetime | None = None) -> Attempt:
    """Open a new attempt of a published exam over all its questions, each question's choices shuffled.

    In exam mode an exam with a time limit gives the attempt its deadline; practice is never timed.
    """
    if not exam.is_published:
        raise ValueError("only a published exam can be taken")
    return open_attempt(user, exam, Attempt.Mode(mode), exam.questions.all(), now or timezone.now())


@transaction.atomic
def open_attempt(user: User, exam: Exam, mode: Attempt.Mode, questions: QuerySet[Question], now: datetime) -> Attempt:
    """An attempt over `questions`: an unanswered Answer row for each, and each one's choices shuffled."""
    questions = questions.prefetch_related(Prefetch("choices", queryset=Choice.objects.only("id", "question_id")))
    # The system's randomness: no learner can work one attempt's order out from another's.
    shuffle = secrets.SystemRandom().shuffle
    choice_order = {}
    for question in questions:
        ids = [choice.pk for choice in question.choices.all()]
        shuffle(ids)
        choice_order[str(question.pk)] = ids
    deadline = None
    if mode == Attempt.Mode.EXAM and exam.time_limit_minutes:
        deadline = now + timedelta(minutes=exam.time_limit_minutes)
    attempt = Attempt.objects.create(
        user=user, exam=exam, mode=mode, deadline=deadline, choice_order=choice_order, question_count=len(choice_order)
    )
    Answer.objects.bulk_create(Answer(attempt=attempt, question_id=int(pk)) for pk in choice_order)
    return attempt


def retake_missed(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """A new practice attempt over the questions of a finished attempt that were not answered right
    (wrong, or left unanswered when the time ran out). NothingToRetake when there are none."""
    if attempt.finished is None or not attempt.exam.is_published:
        raise ValueError("only a finished attempt of a published exam can be retaken")
    missed = Answer.objects.filter(attempt=attempt).exclude(is_correct=True).values("question_id")
    questions = Question.objects.filter(pk__in=missed)
    if not questions.exists():
        raise NothingToRetake(attempt.pk)
    return open_attempt(attempt.user, attempt.exam, Attempt.Mode.PRACTICE, questions, now or timezone.now())


@dataclass(frozen=True)
class Entry:
    """One question of an attempt as its pages show it: its number, the question (choices in this
    attempt's order) and the learner's answer so far."""

    number: int
    question: Question
    answer: Answer
    selected: frozenset[int]

    @property
    def answered(self) -> bool:
        return self.answer.is_correct is not None

    @property
    def correct(self) -> bool:
        return bool(self.answer.is_correct)

    @property
    def flagged(self) -> bool:
        return self.answer.flagged


def questions_of(attempt: Attempt) -> QuerySet[Question]:
    """The attempt's questions in exam order, each with its choices in the order this attempt shows
    them (a reload and the result page show the same order), in two queries."""
    positions = [
        When(pk=int(choice_id), then=Value(position))
        for ids in attempt.choice_order.values()
        for position, choice_id in enumerate(ids)
    ]
    choices = Choice.objects.all()
    if positions:
        choices = choices.order_by(Case(*positions, default=Value(0), output_field=IntegerField()), "order", "id")
    in_attempt = Answer.objects.filter(attempt=attempt).values("question_id")
    return Question.objects.filter(pk__in=in_attempt).prefetch_related(Prefetch("choices", queryset=choices))


def entries(attempt: Attempt) -> list[Entry]:
    """Every question of the attempt with its answer, numbered from 1, in four queries."""
    answers = {
        answer.question_id: answer
        for answer in Answer.objects.filter(attempt=attempt).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.only("id"))
        )
    }
    return [
        Entry(number, question, answer, frozenset(choice.pk for choice in answer.choices.all()))
        for number, question in enumerate(questions_of(attempt), start=1)
        if (answer := answers.get(question.pk)) is not None
    ]


@dataclass(frozen=True)
class AnswerState:
    """One answer as it stands: the chosen choices' ids (sorted), the flag and the verdict (None: unanswered)."""

    selected: tuple[int, ...]
    flagged: bool
    is_correct: bool | None


def answer_states(attempt: Attempt) -> dict[int, AnswerState]:
    """Every answer of the attempt by question id, in one query and without a model instance."""
    rows = Answer.objects.filter(attempt=attempt).values_list("question_id", "flagged", "is_correct", "choices")
    chosen: dict[int, list[int]] = {}
    verdicts: dict[int, tuple[bool, bool | None]] = {}
    for question_id, flagged, is_correct, choice_id in rows:
        verdicts[question_id] = (flagged, is_correct)
        chosen.setdefault(question_id, [])
        if choice_id is not None:
            chosen[question_id].append(choice_id)
    return {
        question_id: AnswerState(tuple(sorted(chosen[question_id])), flagged, is_correct)
        for question_id, (flagged, is_correct) in verdicts.items()
    }


def question_of(attempt: Attempt, question_id: int) -> Question:
    """One question of the attempt with its choices in the attempt's order; NotInAttempt otherwise."""
    question = questions_of(attempt).filter(pk=question_id).first()
    if question is None:
        raise NotInAttempt(question_id)
    return question


def number_of(attempt: Attempt, question_id: int) -> int:
    """The question's number in the attempt, from 1 (NotInAttempt if it is not one of them)."""
    ids = list(questions_of(attempt).values_list("pk", flat=True))
    try:
        return ids.index(question_id) + 1
    except ValueError:
        raise NotInAttempt(question_id) from None


def is_late(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace: answers are refused."""
    return attempt.deadline is not None and now > attempt.deadline + GRACE


def seconds_left(attempt: Attempt, now: datetime) -> int | None:
    """Whole seconds until the deadline, rounded up so that a countdown ends at it, never before (0 once
    it has passed); None when the attempt is not timed."""
    if attempt.deadline is None:
        return None
    return max(0, math.ceil((attempt.deadline - now).total_seconds()))


def locked(attempt: Attempt) -> Attempt:
    """The attempt's row, locked until the transaction ends: a save and a finish never interleave.
    AttemptFinished if it is finished already."""
    row = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if row.finished is not None:
        raise AttemptFinished(attempt.pk)
    return row


def store(answer: Answer, question: Question, selected: set[int], now: datetime) -> None:
    own = {choice.pk for choice in question.choices.all()}
    if not selected or not selected <= own:
        raise ValueError("an answer is one or more of the question's own choices")
    answer.is_correct = is_answer_correct(question, selected)
    answer.answered_at = now
    answer.save(update_fields=["is_correct", "answered_at", "flagged"])
    answer.choices.set(selected)


def save_answer(
    attempt: Attempt, question: Question, selected: set[int], flagged: bool | None = None, now: datetime | None = None
) -> Answer:
    """Record the learner's answer (choice ids of `question`) to one question of the attempt, and its
    flag unless `flagged` is None.

    Practice: the first answer stands (AlreadyAnswered), a wrong one enters the review queue at once,
    and the last one finishes the attempt. Exam: an answer can be changed until the attempt finishes.
    After the deadline and its grace the answer is refused with TimeUp, and the attempt is finished and
    scored as it stood.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = locked(attempt)
        if is_late(row, now):
            finish_locked(row, now)  # kept: the TimeUp below is raised after this transaction commits
            answer = None
        else:
            answer = Answer.objects.filter(attempt=row, question=question).first()
            if answer is None:
                raise NotInAttempt(question.pk)
            if row.mode == Attempt.Mode.PRACTICE and answer.is_correct is not None:
                raise AlreadyAnswered(question.pk)
            if flagged is not None:
                answer.flagged = flagged
            store(answer, question, selected, now)
            progress.changed(row.user_id)
            if row.mode == Attempt.Mode.PRACTICE:
                if not answer.is_correct:
                    add_to_review_queue(row.user, [question.pk], now)
                if not Answer.objects.filter(attempt=row, is_correct__isnull=True).exists():
                    finish_locked(row, now)
    if answer is None:
        raise TimeUp(attempt.pk)
    return answer


def set_flag(attempt: Attempt, question_id: int, flagged: bool, now: datetime | None = None) -> None:
    """Flag a question of the attempt (or take the flag off); refused like an answer once the attempt is over."""
    now = now or timezone.now()
    with transaction.atomic():
        row = locked(attempt)
        late = is_late(row, now)
        if late:
            finish_locked(row, now)
        elif not Answer.objects.filter(attempt=row, question_id=question_id).update(flagged=flagged):
            raise NotInAttempt(question_id)
    if late:
        raise TimeUp(attempt.pk)


def submit_exam(
    attempt: Attempt,
    questions: Iterable[Question],
    selections: Mapping[int, set[int]],
    flagged: set[int],
    now: datetime | None = None,
) -> bool:
    """The exam's final submit: store the answers given (`selections`, validated: choice ids per
    question id; a question left out keeps the answer saved before) and the flags, then finish the
    attempt if every question is answered or the deadline has passed. Returns whether it finished.

    After the deadline and its grace nothing is stored: TimeUp, and the attempt is finished as it stood.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = locked(attempt)
        late = is_late(row, now)
        if not late:
            store_all(row, questions, selections, flagged, now)
            timed_out = row.deadline is not None and now > row.deadline
            if timed_out or not Answer.objects.filter(attempt=row, is_correct__isnull=True).exists():
                finish_locked(row, now)
                return True
            return False
        finish_locked(row, now)
    raise TimeUp(attempt.pk)


def store_all(
    row: Attempt, questions: Iterable[Question], selections: Mapping[int, set[int]], flagged: set[int], now: datetime
) -> None:
    """Every answer and flag of a final submit in a constant number of queries, whatever the exam's length."""
    answers = {answer.question_id: answer for answer in Answer.objects.filter(attempt=row)}
    given = []
    for question in questions:
        answer = answers[question.pk]
        answer.flagged = question.pk in flagged
        if question.pk in selections:
            selected = selections[question.pk]
            if not selected or not selected <= {choice.pk for choice in question.choices.all()}:
                raise ValueError("an answer is one or more of the question's own choices")
            answer.is_correct = is_answer_correct(question, selected)
            answer.answered_at = now
            given.append(answer)
    Answer.objects.bulk_update(answers.values(), ["is_correct", "answered_at", "flagged"])
    through = Answer.choices.through
    through.objects.filter(answer__in=given).delete()
    through.objects.bulk_create(
        through(answer_id=answer.pk, choice_id=choice_id)
        for answer in given
        for choice_id in selections[answer.question_id]
    )
    progress.changed(row.user_id)


def finish_locked(row: Attempt, now: datetime) -> None:
    """Score a locked, open attempt as it stands (an unanswered question counts as wrong) and finish it.
    In exam mode the wrongly answered questions enter the review queue now; practice put them there as
    they were answered."""
    counts = Answer.objects.filter(attempt=row).aggregate(
        total=Count("pk"), right=Count("pk", filter=Q(is_correct=True))
    )
    row.finished = now
    row.correct_count, row.question_count = counts["right"], counts["total"]
    row.save(update_fields=["finished", "correct_count", "question_count"])
    progress.changed(row.user_id)
    if row.mode == Attempt.Mode.EXAM:
        wrong = Answer.objects.filter(attempt=row, is_correct=False).order_by("question_id")
        add_to_review_queue(row.user, list(wrong.values_list("question_id", flat=True)), now)


@transaction.atomic
def finish_attempt(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Finish and score the attempt as it stands; AttemptFinished if it was finished before."""
    row = locked(attempt)
    finish_locked(row, now or timezone.now())
    return row


def finish_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Finish an open attempt whose time ran out (past its grace) as it stands; True if it did now."""
    now = now or timezone.now()
    if attempt.finished is not None or not is_late(attempt, now):
        return False
    try:
        finish_attempt(attempt, now)
    except AttemptFinished:
        return False
    attempt.refresh_from_db()
    return True


@dataclass(frozen=True)
class OpenAttempt:
    attempt: Attempt
    answered: int


def open_attempts(user: User, exam: Exam, now: datetime | None = None) -> list[OpenAttempt]:
    """The learner's unfinished attempts of the exam that can be resumed, newest first; any whose
    time ran out is finished on the way."""
    now = now or timezone.now()
    attempts = Attempt.objects.filter(user=user, exam=exam, finished__isnull=True).annotate(
        answered_total=Count("answers", filter=Q(answers__is_correct__isnull=False))
    )
    resumable = []
    for attempt in attempts[:5]:
        if not finish_if_expired(attempt, now):
            resumable.append(OpenAttempt(attempt, attempt.answered_total))
    return resumable


def clock(duration: timedelta) -> str:
    """A duration as a clock reads it: "4:05", "1:02:03"."""
    minutes, seconds = divmod(max(0, int(duration.total_seconds())), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
