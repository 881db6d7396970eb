from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Model, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from quiz import services, srs
from quiz.forms import AttemptForm, ExamSearchForm, ReviewForm
from quiz.models import Answer, Attempt, Choice, Exam, Question, ReviewItem, Tag
from quiz.translation import service as translation_service
from quiz.translation.service import PageTranslation

EXAMS_PER_PAGE = 10


def localize(*groups: tuple[str, Iterable[Model]]) -> PageTranslation:
    """Show (source language, objects) groups in the page's language; see quiz.translation.service."""
    return translation_service.localize(get_supported_language_variant(get_language()), groups)


def exam_content(exam: Exam, questions: Iterable[Question]) -> tuple[str, list[Model]]:
    """An exam with its questions and their (prefetched) choices, as one group to localize."""
    objects: list[Model] = [exam]
    for question in questions:
        objects += [question, *question.choices.all()]
    return exam.source_language, objects


def home(request: HttpRequest) -> HttpResponse:
    latest = list(Exam.objects.published().order_by("-created")[:3])
    page_translation = localize(*[(exam.source_language, [exam]) for exam in latest])
    return render(request, "quiz/home.html", {"latest": latest, "page_translation": page_translation})


def searchable(value: str) -> str:
    """A query parameter PostgreSQL can compare: its text type cannot hold NUL, and says so with an error."""
    return value.replace("\x00", "")


def exam_list(request: HttpRequest) -> HttpResponse:
    exams = (
        Exam.objects.published().annotate(question_total=Count("questions")).prefetch_related("tags").order_by("title")
    )
    search = ExamSearchForm({name: searchable(request.GET.get(name, "")) for name in ("q", "tag")})
    if not search.is_valid():
        exams = exams.none()
    query, tag = search.cleaned_data.get("q", ""), search.cleaned_data.get("tag", "")
    if query:
        exams = exams.filter(Q(title__icontains=query) | Q(description__icontains=query))
    if tag:
        exams = exams.filter(tags__slug=tag)
    page = Paginator(exams, EXAMS_PER_PAGE).get_page(request.GET.get("page"))
    page_translation = localize(*[(exam.source_language, [exam]) for exam in page.object_list])
    tags = Tag.objects.filter(exams__is_published=True).distinct()
    context = {
        "page": page,
        "search": search,
        "query": query,
        "tag": tag,
        "tags": tags,
        "page_translation": page_translation,
    }
    return render(request, "quiz/exam_list.html", context, status=400 if search.errors else 200)


def exam_detail(request: HttpRequest, slug: str) -> HttpResponse:
    exam = get_object_or_404(Exam.objects.published().annotate(question_total=Count("questions")), slug=slug)
    page_translation = localize((exam.source_language, [exam]))
    return render(request, "quiz/exam_detail.html", {"exam": exam, "page_translation": page_translation})


@require_POST
@login_required
def start_exam(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    exam = get_object_or_404(Exam.objects.published(), slug=slug)
    attempt = services.start_attempt(request.user, exam)
    return redirect("quiz:take", pk=attempt.pk)


@login_required
def take_attempt(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.select_related("exam"), pk=pk, user=request.user)
    if attempt.finished:
        return redirect("quiz:result", pk=attempt.pk)
    questions = list(services.questions_with_choices(attempt.exam))
    page_translation = localize(exam_content(attempt.exam, questions))
    form = AttemptForm(questions, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_attempt(attempt, form.questions, form.selections())
        except services.AttemptAlreadyFinished:
            messages.info(request, _("This attempt was already submitted."))
        return redirect("quiz:result", pk=attempt.pk)
    status = 400 if form.is_bound else 200
    context = {"attempt": attempt, "form": form, "page_translation": page_translation}
    return render(request, "quiz/take.html", context, status=status)


@login_required
def attempt_result(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(
        Attempt.objects.select_related("exam"), pk=pk, user=request.user, finished__isnull=False
    )
    answers = Answer.objects.filter(attempt=attempt).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.only("id"))
    )
    selected = {answer.question_id: {choice.pk for choice in answer.choices.all()} for answer in answers}
    questions = list(services.questions_with_choices(attempt.exam))
    page_translation = localize(exam_content(attempt.exam, questions))
    rows = [(question, selected.get(question.pk, set())) for question in questions]
    return render(request, "quiz/result.html", {"attempt": attempt, "rows": rows, "page_translation": page_translation})


@login_required
def attempt_history(request: AuthenticatedRequest) -> HttpResponse:
    attempts = Attempt.objects.filter(user=request.user, finished__isnull=False).select_related("exam")
    page = Paginator(attempts, 20).get_page(request.GET.get("page"))
    return render(request, "quiz/history.html", {"page": page})


@login_required
def reviews(request: AuthenticatedRequest) -> HttpResponse:
    due = services.due_reviews(request.user).select_related("question__exam")
    item = due.first()
    form = page_translation = None
    if item is not None:
        question = services.questions_with_choices(item.question.exam).get(pk=item.question_id)
        item.question = question
        page_translation = localize(exam_content(question.exam, [question]))
        form = ReviewForm(question)
    context = {"item": item, "form": form, "due_count": due.count(), "page_translation": page_translation}
    return render(request, "quiz/reviews.html", context)


@require_POST
@login_required
def grade_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem.objects.select_related("question__exam"), pk=pk, user=request.user)
    question = services.questions_with_choices(item.question.exam).get(pk=item.question_id)
    item.question = question
    page_translation = localize(exam_content(question.exam, [question]))
    form = ReviewForm(question, request.POST)
    if not form.is_valid():
        due_count = services.due_reviews(request.user).count()
        context = {"item": item, "form": form, "due_count": due_count, "page_translation": page_translation}
        return render(request, "quiz/reviews.html", context, status=400)
    if services.is_answer_correct(question, form.selected()):
        services.grade_review(item, form.cleaned_data["confidence"])
        messages.success(request, _("Correct!"))
    else:
        services.grade_review(item, srs.AGAIN)
        right = ", ".join(choice.text for choice in question.choices.all() if choice.is_correct)
        messages.warning(request, _("Not quite. The answer is: %(answer)s") % {"answer": right})
    if question.explanation:
        messages.info(request, question.explanation)
    return redirect("quiz:reviews")
