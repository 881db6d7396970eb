import logging
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Model, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from drillquiz.http import AuthenticatedRequest
from jobs.services import enqueue
from quiz import charts, progress, scheduling, services
from quiz.forms import ExamSearchForm, ReviewForm, StudySettingsForm
from quiz.models import Attempt, Exam, Question, Rating, ReviewItem, Tag
from translations import service as translation_service
from translations.service import PageTranslation

logger = logging.getLogger(__name__)

EXAMS_PER_PAGE = 10


def page_language() -> str:
    return get_supported_language_variant(get_language())


def localize(*groups: tuple[str, Iterable[Model]]) -> PageTranslation:
    """Show (source language, objects) groups in the page's language; see translations.service."""
    return translation_service.localize(page_language(), groups)


def exam_content(exam: Exam, questions: Iterable[Question]) -> tuple[str, list[Model]]:
    """An exam with its questions and their (prefetched) choices, as one group to localize."""
    objects: list[Model] = [exam]
    for question in questions:
        objects += [question, *question.choices.all()]
    return exam.source_language, objects


def home(request: HttpRequest) -> HttpResponse:
    latest = list(Exam.objects.published().order_by("-created")[:3])
    page_translation = localize(*[(exam.source_language, [exam]) for exam in latest])
    summary = progress.summary(request.user) if isinstance(request.user, User) else None
    context = {"latest": latest, "page_translation": page_translation, "summary": summary}
    return render(request, "quiz/home.html", context)


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


@login_required
def attempt_history(request: AuthenticatedRequest[User]) -> HttpResponse:
    attempts = Attempt.objects.filter(user=request.user, finished__isnull=False).select_related("exam")
    page = Paginator(attempts, 20).get_page(request.GET.get("page"))
    return render(request, "quiz/history.html", {"page": page})


def review_card(item: ReviewItem) -> ReviewItem:
    """The item with its question's choices prefetched, for the review page."""
    item.question = services.questions_with_choices(item.question.exam).get(pk=item.question_id)
    return item


def render_review(
    request: AuthenticatedRequest[User],
    item: ReviewItem,
    form: ReviewForm,
    queue: services.Queue | None = None,
    **extra: object,
) -> HttpResponse:
    """The review page: the card's question, or (with `checked`) its verdict and the four ratings."""
    context = {
        "item": item,
        "form": form,
        "queue": queue or services.review_queue(request.user),
        "page_translation": localize(exam_content(item.question.exam, [item.question])),
        **extra,
    }
    return render(request, "quiz/reviews.html", context, status=400 if form.errors else 200)


@login_required
def reviews(request: AuthenticatedRequest[User]) -> HttpResponse:
    queue = services.review_queue(request.user)
    if queue.item is None:
        return render(request, "quiz/reviews.html", {"item": None, "queue": queue})
    item = review_card(queue.item)
    return render_review(request, item, ReviewForm(item.question), queue)


def checked_card(request: AuthenticatedRequest[User], item: ReviewItem, form: ReviewForm) -> HttpResponse:
    """The same card after its answer: right or wrong, the answer and explanation, then the ratings."""
    correct = services.is_answer_correct(item.question, form.selected())
    try:
        previews = services.rating_previews(item)
    except scheduling.CorruptCard:
        return corrupt_card(request)
    default = Rating.GOOD if correct else Rating.AGAIN
    return render_review(request, item, form, checked=True, correct=correct, previews=previews, default=default)


def corrupt_card(request: AuthenticatedRequest[User]) -> HttpResponse:
    logger.error("user %s has a review card FSRS cannot schedule", request.user.pk, exc_info=True)
    message = _("This card's stored schedule is damaged, so it cannot be reviewed. Nothing was changed.")
    return render(request, "quiz/review_refused.html", {"message": message}, status=409)


@require_POST
@login_required
def check_review(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    item = review_card(
        get_object_or_404(ReviewItem.objects.select_related("question__exam", "user"), pk=pk, user=request.user)
    )
    form = ReviewForm(item.question, request.POST)
    if not form.is_valid():
        return render_review(request, item, form)
    return checked_card(request, item, form)


@require_POST
@login_required
def grade_review(request: AuthenticatedRequest[User], pk: int) -> HttpResponse:
    item = review_card(
        get_object_or_404(ReviewItem.objects.select_related("question__exam", "user"), pk=pk, user=request.user)
    )
    form = ReviewForm(item.question, request.POST, rate=True)
    if not form.is_valid():
        if "answer" in form.errors:
            return render_review(request, item, form)
        return checked_card(request, item, form)
    try:
        services.review(item, form.cleaned_data["rating"], form.duration())
    except scheduling.CorruptCard:
        return corrupt_card(request)
    return redirect("quiz:reviews")


@login_required
def study_settings(request: AuthenticatedRequest[User]) -> HttpResponse:
    form = StudySettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            if "desired_retention" in form.changed_data:
                enqueue("quiz.tasks.reschedule_reviews", user.pk)
        messages.success(request, _("Study settings saved."))
        return redirect("quiz:study-settings")
    status = 400 if form.is_bound else 200
    return render(request, "quiz/study_settings.html", {"form": form}, status=status)


@login_required
def progress_page(request: AuthenticatedRequest[User]) -> HttpResponse:
    data = progress.progress(request.user)
    page_translation = localize(*[(score.exam.source_language, [score.exam]) for score in data.exams])
    context = {
        "progress": data,
        "heatmap": charts.heatmap(data.days),
        "due": charts.due_bars(data.forecast),
        "page_translation": page_translation,
    }
    return render(request, "quiz/progress.html", context)
