"""The pages of taking an exam: the exam's page (practice or exam), its questions, each answer and flag
saved, the result and a retake of the questions missed. The logic is in quiz.attempts.

Saving one answer or flag answers JSON to the page's script (it asks with Accept: application/json)
and a redirect or a page otherwise, so everything works without JavaScript too."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from drillquiz.http import AuthenticatedRequest
from quiz import attempts, page_blocks
from quiz.attempts import Entry
from quiz.forms import AnswerForm, AttemptForm, ChoiceInputs, FlagForm, QuestionIdForm, StartForm, submitted_ids
from quiz.models import Attempt, Exam
from quiz.page_blocks import Blocks
from quiz.views import exam_content, localize, page_language
from translations.service import PageTranslation


def published_exam(slug: str) -> Exam:
    return get_object_or_404(Exam.objects.published().annotate(question_total=Count("questions")), slug=slug)


def render_exam_page(request: HttpRequest, exam: Exam, form: StartForm, status: int = 200) -> HttpResponse:
    resumable = []
    if request.user.is_authenticated:
        resumable = attempts.open_attempts(request.user, exam)
    context = {
        "exam": exam,
        "form": form,
        "resumable": resumable,
        "page_translation": localize((exam.source_language, [exam])),
    }
    return render(request, "quiz/exam_detail.html", context, status=status)


def exam_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render_exam_page(request, published_exam(slug), StartForm())


@require_POST
@login_required
def start_exam(request: AuthenticatedRequest[User], slug: str) -> HttpResponse:
    exam = published_exam(slug)
    form = StartForm(request.POST)
    if not form.is_valid():
        return render_exam_page(request, exam, form, status=400)
    attempt = attempts.start_attempt(request.user, exam, form.cleaned_data["mode"])
    return redirect("quiz:take", pk=attempt.pk)


def own_attempt(request: AuthenticatedRequest[User], pk: int, **filters: object) -> Attempt:
    """The learner's own attempt: anyone else's is not found."""
    return get_object_or_404(Attempt.objects.select_related("exam"), pk=pk, user=request.user, **filters)


def late_message() -> str:
    return _("The time limit is over, so this answer was not saved. Your attempt was scored as it stood.")


def finished_message() -> str:
    return _("This attempt is finished; see its result.")


def to_result(attempt: Attempt) -> HttpResponse:
    return redirect("quiz:result", pk=attempt.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def take_attempt(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    attempt = own_attempt(request, pk)
    if attempt.mode == Attempt.Mode.PRACTICE:
        if request.method == "POST":
            return redirect("quiz:take", pk=attempt.pk)  # practice answers go to quiz:answer
        return practice_page(request, attempt)
    if attempt.finished:
        return to_result(attempt)
    if request.method == "POST":
        return submit_exam(request, attempt, attempts.entries(attempt))  # refuses late answers itself
    if attempts.finish_if_expired(attempt):
        messages.error(request, _("The time limit is over. Your attempt was scored as it stood."))
        return to_result(attempt)
    return render_exam(request, attempt)


# --- Practice: one question at a time, its feedback at once.


def requested_number(request: HttpRequest, total: int) -> int | None:
    """?question=N, the question to show (from 1); None when not asked; 404 for anything else."""
    value = request.GET.get("question")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= total):
        raise Http404("no such question in this attempt")
    return int(value)


def practice_page(request: AuthenticatedRequest[User], attempt: Attempt) -> HttpResponse:
    entries = attempts.entries(attempt)
    number = requested_number(request, len(entries))
    if number is None:
        unanswered = [entry for entry in entries if not entry.answered]
        if attempt.finished or not unanswered:
            if not attempt.finished:
                attempts.finish_attempt(attempt)  # nothing left to answer (an attempt of an empty exam)
            return to_result(attempt)
        entry = unanswered[0]
    else:
        entry = entries[number - 1]
    if not entry.answered and attempt.finished:
        return to_result(attempt)
    return render_practice(request, attempt, entries, entry, None if entry.answered else AnswerForm(entry.question))


def render_practice(
    request: HttpRequest,
    attempt: Attempt,
    entries: list[Entry],
    entry: Entry,
    form: AnswerForm | None,
    status: int = 200,
) -> HttpResponse:
    """A practice question: its choices to answer (form), or once answered its feedback."""
    answered = sum(other.answered for other in entries)
    later = [other for other in entries if not other.answered and other.number != entry.number]
    following = [other for other in later if other.number > entry.number] or later
    context = {
        "attempt": attempt,
        "entry": entry,
        "form": form,
        "total": len(entries),
        "answered": answered,
        "next_entry": following[0] if following else None,
        "page_translation": localize(exam_content(attempt.exam, [entry.question])),
    }
    return render(request, "quiz/practice.html", context, status=status)


def practice_url(attempt: Attempt, number: int) -> str:
    return f"{reverse('quiz:take', args=[attempt.pk])}?question={number}"


# --- Exam: every question on one page, saved as the learner goes, submitted at the end.


def exam_rows(entries: list[Entry], form: AttemptForm | None) -> list[tuple[Entry, ChoiceInputs, bool]]:
    """(entry, its inputs, flagged) per question: a bound form shows what was sent, else what is saved."""
    form = form or AttemptForm([entry.question for entry in entries])
    if form.is_bound:
        flagged = set(form.cleaned_data.get("flagged") or [])
        if "flagged" in form.errors:
            flagged = set()
    else:
        flagged = {entry.question.pk for entry in entries if entry.flagged}
    rows = []
    for entry in entries:
        field = form[f"q{entry.question.pk}"]
        ticked = submitted_ids(entry.question, field) if form.is_bound else set(entry.selected)
        rows.append((entry, ChoiceInputs(entry.question, field, ticked), entry.question.pk in flagged))
    return rows


def exam_blocks(attempt: Attempt, rows: list[tuple[Entry, ChoiceInputs, bool]]) -> dict[str, str]:
    context = {"attempt": attempt, "rows": rows}
    return {name: render_to_string(f"quiz/_exam_{name}.html", context) for name in ("nav", "questions")}


def render_exam(
    request: HttpRequest,
    attempt: Attempt,
    form: AttemptForm | None = None,  # bound: the submitted answers
    status: int = 200,
    incomplete: bool = False,
    error: str = "",
) -> HttpResponse:
    """The exam page; a (bound) form shows what was sent with its errors, else the page shows what is
    saved, its question blocks from the cache when nothing they show has changed (quiz.page_blocks)."""
    answers = attempts.answer_states(attempt)
    entries = attempts.entries(attempt) if incomplete or form is not None else None

    def draw() -> tuple[dict[str, str], PageTranslation]:
        drawn = entries if entries is not None else attempts.entries(attempt)
        translation = localize(exam_content(attempt.exam, [entry.question for entry in drawn]))
        return exam_blocks(attempt, exam_rows(drawn, None)), translation

    if form is not None and entries is not None:  # what was sent, with its errors: drawn for this request alone
        translation = localize(exam_content(attempt.exam, [entry.question for entry in entries]))
        rows = exam_rows(entries, form)
        blocks = Blocks(attempt.exam.title, translation.label, exam_blocks(attempt, rows))
        answered = sum(1 for _entry, inputs, _flag in rows if inputs.ticked)
    else:
        blocks, translation = page_blocks.blocks("exam", attempt, answers, page_language(), draw)
        answered = sum(1 for answer in answers.values() if answer.selected)
    seconds = attempts.seconds_left(attempt, timezone.now())
    context = {
        "attempt": attempt,
        "form": form,
        "blocks": blocks.html,
        "total": len(answers),
        "answered": answered,
        "unanswered": [entry for entry in entries or [] if not entry.answered] if incomplete else [],
        "error": error,
        "seconds_left": seconds,
        "time_left": None if seconds is None else attempts.clock(timedelta(seconds=seconds)),
        "page_translation": translation,
    }
    return render(request, "quiz/take.html", context, status=status)


def submit_exam(request: AuthenticatedRequest[User], attempt: Attempt, entries: list[Entry]) -> HttpResponse:
    form = AttemptForm([entry.question for entry in entries], request.POST)
    if not form.is_valid():
        return render_exam(request, attempt, form, status=400)
    try:
        finished = attempts.submit_exam(attempt, form.questions, form.selections(), form.flagged())
    except attempts.AttemptFinished:
        messages.info(request, _("This attempt was already submitted."))
        return to_result(attempt)
    except attempts.TimeUp:
        messages.error(
            request, _("The time limit is over, so these answers were not saved. Your attempt was scored as it stood.")
        )
        return to_result(attempt)
    if finished:
        return to_result(attempt)
    # 200, not 400: what was given is saved, and the page asks only for the questions left.
    return render_exam(request, attempt, incomplete=True)


# --- One answer, one flag.


def wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def refused(request: AuthenticatedRequest[User], attempt: Attempt, message: str, status: int) -> HttpResponse:
    """A refused answer or flag: JSON for the page's script, else the attempt's page with the message."""
    if wants_json(request):
        body: dict[str, object] = {"error": message}
        if status == 409:
            body["result_url"] = reverse("quiz:result", args=[attempt.pk])
        return JsonResponse(body, status=status)
    if status == 409:
        messages.error(request, message)
        return to_result(attempt)
    if attempt.mode == Attempt.Mode.PRACTICE:
        return render(request, "quiz/attempt_refused.html", {"attempt": attempt, "message": message}, status=status)
    return render_exam(request, attempt, status=status, error=message)


def not_in_attempt() -> str:
    return _("That question is not part of this attempt.")


@require_POST
@login_required
def answer_question(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    attempt = own_attempt(request, pk)
    which = QuestionIdForm(request.POST)
    if not which.is_valid():
        return refused(request, attempt, not_in_attempt(), 400)
    try:
        question = attempts.question_of(attempt, which.cleaned_data["question"])
    except attempts.NotInAttempt:
        return refused(request, attempt, not_in_attempt(), 400)
    form = AnswerForm(question, request.POST)
    practice = attempt.mode == Attempt.Mode.PRACTICE
    if not form.is_valid():
        if practice and not wants_json(request) and not attempt.finished:
            entries = attempts.entries(attempt)
            entry = next(entry for entry in entries if entry.question.pk == question.pk)
            if not entry.answered:
                return render_practice(request, attempt, entries, entry, form, status=400)
        return refused(request, attempt, " ".join(str(error) for error in form.errors.get("answer", [])), 400)
    try:
        attempts.save_answer(attempt, question, form.selected(), form.cleaned_data["flagged"] if practice else None)
    except attempts.AttemptFinished:
        return refused(request, attempt, finished_message(), 409)
    except attempts.TimeUp:
        return refused(request, attempt, late_message(), 409)
    except attempts.AlreadyAnswered:
        pass  # a second click on Check: the first answer and its feedback stand
    if wants_json(request):
        return JsonResponse({"question": question.pk, "answered": True})
    number = attempts.number_of(attempt, question.pk)
    if practice:
        return redirect(practice_url(attempt, number))
    return redirect(f"{reverse('quiz:take', args=[attempt.pk])}#question-{number}")


@require_POST
@login_required
def flag_question(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    attempt = own_attempt(request, pk)
    which, form = QuestionIdForm(request.POST), FlagForm(request.POST)
    if not (which.is_valid() and form.is_valid()):
        return refused(request, attempt, not_in_attempt(), 400)
    question_id, flagged = which.cleaned_data["question"], form.cleaned_data["flagged"]
    try:
        attempts.set_flag(attempt, question_id, flagged)
    except attempts.NotInAttempt:
        return refused(request, attempt, not_in_attempt(), 400)
    except attempts.AttemptFinished:
        return refused(request, attempt, finished_message(), 409)
    except attempts.TimeUp:
        return refused(request, attempt, late_message(), 409)
    if wants_json(request):
        return JsonResponse({"question": question_id, "flagged": flagged})
    number = attempts.number_of(attempt, question_id)
    if attempt.mode == Attempt.Mode.PRACTICE:
        return redirect(practice_url(attempt, number))
    return redirect(f"{reverse('quiz:take', args=[attempt.pk])}#question-{number}")


# --- The result.


@login_required
def attempt_result(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    attempt = own_attempt(request, pk, finished__isnull=False)
    answers = attempts.answer_states(attempt)

    def draw() -> tuple[dict[str, str], PageTranslation]:
        entries = attempts.entries(attempt)
        translation = localize(exam_content(attempt.exam, [entry.question for entry in entries]))
        context = {"entries": entries}
        html: dict[str, str] = {n: render_to_string(f"quiz/_result_{n}.html", context) for n in ("grid", "questions")}
        return html, translation

    blocks, translation = page_blocks.blocks("result", attempt, answers, page_language(), draw)
    context = {
        "attempt": attempt,
        "blocks": blocks.html,
        "missed": sum(not answer.is_correct for answer in answers.values()),
        "time_taken": attempts.clock(attempt.time_taken),  # type: ignore[arg-type]
        "timed_out": attempt.deadline is not None and attempt.finished >= attempt.deadline,  # type: ignore[operator]
        "page_translation": translation,
    }
    return render(request, "quiz/result.html", context)


@require_POST
@login_required
def retake_missed(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    attempt = own_attempt(request, pk, finished__isnull=False)
    try:
        retake = attempts.retake_missed(attempt)
    except attempts.NothingToRetake:
        messages.info(request, _("Every question was answered right: there is nothing to retake."))
        return to_result(attempt)
    except ValueError:
        messages.error(request, _("This exam is no longer published, so it cannot be retaken."))
        return to_result(attempt)
    return redirect("quiz:take", pk=retake.pk)
