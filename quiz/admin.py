import json
from typing import TYPE_CHECKING

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from fsrs.scheduler import DEFAULT_PARAMETERS

from drillquiz.admin_site import RecordAdmin
from jobs.services import enqueue
from quiz import exam_io
from quiz.models import (
    LEECH_LAPSES,
    Attempt,
    Choice,
    Exam,
    LearnerParameters,
    Question,
    ReviewItem,
    ReviewLog,
    Tag,
    Translation,
)
from quiz.tasks import translate_missing_batch
from quiz.translation import backfill, registry, storage

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a type-checking helper, not installed in production


class PostedIdsCheckedFormSet(nested_admin.formsets.NestedInlineFormSet):
    """nested_admin looks up the posted ids of the inline rows as they come, so an id that is not a
    number raised ValueError (a 500). Then no row is looked up: each form says its id is not valid."""

    def get_queryset(self) -> QuerySet[Model]:
        try:
            return super().get_queryset()
        except (ValueError, ValidationError):
            return self.model._default_manager.none()


class ChoiceInline(nested_admin.NestedTabularInline):
    model = Choice
    formset = PostedIdsCheckedFormSet
    extra = 0
    min_num = 2
    fields = ("order", "text", "is_correct")


class QuestionInline(nested_admin.NestedStackedInline):
    model = Question
    formset = PostedIdsCheckedFormSet
    extra = 0
    fields = ("order", "kind", "text", "explanation")
    inlines = [ChoiceInline]


class ImportExamForm(forms.Form):
    file = forms.FileField(label=_("Exam file (JSON)"), help_text=_("Format: docs/exam-format.md"))


@admin.register(Exam)
class ExamAdmin(nested_admin.NestedModelAdmin):
    list_display = ("title", "slug", "source_language", "is_published", "time_limit_minutes", "updated")
    list_filter = ("is_published", "source_language", "tags")
    search_fields = ("title", "slug", "description", "questions__text")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("tags",)
    inlines = [QuestionInline]
    actions = ["publish", "unpublish", "export_json", "translate_missing"]
    readonly_fields = ("translation_status",)
    change_list_template = "admin/quiz/exam/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="quiz_exam_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = ImportExamForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                exam = exam_io.import_exam(exam_io.parse(form.cleaned_data["file"].read(exam_io.max_file_bytes() + 1)))
            except exam_io.ExamFileError as error:
                for problem in error.errors:
                    form.add_error("file", problem)
            else:
                self.message_user(request, _("Imported %(title)s.") % {"title": exam.title}, messages.SUCCESS)
                return redirect("admin:quiz_exam_change", exam.pk)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta}
        return render(request, "admin/quiz/exam/import.html", context, status=400 if form.errors else 200)

    @admin.display(description=_("translations"))
    def translation_status(self, exam: Exam) -> str:
        """Per language: how many texts are fresh, stale or missing (and stale human ones)."""
        if exam.pk is None:
            return "-"
        lines = []
        for plan in backfill.plan_exam(exam, registry.languages()):
            counts = plan.counts
            lines.append(
                f"{plan.language}: {counts['fresh']} fresh, {counts['stale']} stale, {counts['missing']} missing, "
                f"{counts['human, stale']} human but stale"
            )
        return "; ".join(lines)

    @admin.action(description=_("Translate missing and stale texts of the selected exams"), permissions=["change"])
    def translate_missing(self, request: HttpRequest, queryset: QuerySet[Exam]) -> None:
        count = 0
        for source_language, language, keys in backfill.batches(backfill.plan(queryset)):
            enqueue(translate_missing_batch, source_language, language, keys)
            count += len(keys)
        self.message_user(request, _("%(count)d texts queued for translation.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publish selected exams"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Exam]) -> None:
        count = queryset.update(is_published=True)
        self.message_user(request, _("%(count)d exams published.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unpublish selected exams"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Exam]) -> None:
        count = queryset.update(is_published=False)
        self.message_user(request, _("%(count)d exams unpublished.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Export the selected exam as JSON"), permissions=["view"])
    def export_json(self, request: HttpRequest, queryset: QuerySet[Exam]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one exam to export."), messages.ERROR)
            return None
        exam = queryset.get()
        body = json.dumps(exam_io.export_exam(exam), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exam.slug}.json"'
        return response


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("user", "exam", "mode", "started", "finished", "correct_count", "question_count")
    list_filter = ("mode", "exam")
    search_fields = ("user__username", "exam__title")
    list_select_related = ("user", "exam")
    readonly_fields = (
        "user",
        "exam",
        "mode",
        "started",
        "deadline",
        "finished",
        "choice_order",
        "correct_count",
        "question_count",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an attempt is made by taking an exam; every field here is read-only


class LeechFilter(admin.SimpleListFilter):
    title = _("leech")
    parameter_name = "leech"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, "StrOrPromise"]]:
        return [("yes", _("leeches (forgotten %(count)d times or more)") % {"count": LEECH_LAPSES})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
        return queryset.filter(lapses__gte=LEECH_LAPSES) if self.value() == "yes" else queryset


@admin.register(ReviewItem)
class ReviewItemAdmin(RecordAdmin):
    """Learners' cards, for editors to find the questions learners keep forgetting (leeches)."""

    list_display = ("user", "question", "state", "due", "stability", "difficulty", "lapses", "leech")
    list_filter = (LeechFilter, "state")
    search_fields = ("user__username", "question__text")
    list_select_related = ("user", "question")

    @admin.display(boolean=True, description=_("leech"), ordering="lapses")
    def leech(self, item: ReviewItem) -> bool:
        return item.is_leech


@admin.register(ReviewLog)
class ReviewLogAdmin(RecordAdmin):
    list_display = ("reviewed_at", "user", "item", "rating", "duration_ms", "state_before", "state_after", "due_after")
    list_filter = ("rating", "state_before")
    search_fields = ("user__username",)
    list_select_related = ("user", "item__question")
    date_hierarchy = "reviewed_at"


@admin.register(LearnerParameters)
class LearnerParametersAdmin(RecordAdmin):
    """The weekly job's fits (quiz.fitting); a learner without one is scheduled with FSRS's defaults."""

    list_display = ("user", "fitted_at", "review_count", "initial_stability", "decay")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    date_hierarchy = "fitted_at"
    fields = ("user", "fitted_at", "review_count", "parameter_table")
    readonly_fields = fields

    @admin.display(description=_("initial stability in days (again, hard, good, easy)"))
    def initial_stability(self, row: LearnerParameters) -> str:
        return ", ".join(f"{value:.2f}" for value in row.parameters[:4])

    @admin.display(description=_("decay"))
    def decay(self, row: LearnerParameters) -> str:
        return f"{row.parameters[-1]:.4f}"

    @admin.display(description=_("parameters"))
    def parameter_table(self, row: LearnerParameters) -> str:
        """Each fitted parameter beside FSRS's default, so an admin sees how far this learner is from it."""
        rows = format_html_join(
            "",
            "<tr><th scope='row'>w{}</th><td>{}</td><td>{}</td></tr>",
            (
                (index, f"{value:.4f}", f"{default:.4f}")
                for index, (value, default) in enumerate(zip(row.parameters, DEFAULT_PARAMETERS, strict=False))
            ),
        )
        head = format_html(
            "<thead><tr><th scope='col'>{}</th><th scope='col'>{}</th><th scope='col'>{}</th></tr></thead>",
            _("parameter"),
            _("fitted"),
            _("default"),
        )
        return format_html("<table>{}<tbody>{}</tbody></table>", head, rows)


class FreshnessFilter(admin.SimpleListFilter):
    title = _("freshness")
    parameter_name = "freshness"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, "StrOrPromise"]]:
        return [("stale", _("stale (source changed)")), ("fresh", _("fresh"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Translation]) -> QuerySet[Translation]:
        if self.value() not in {"stale", "fresh"}:
            return queryset
        stale = storage.stale_ids(queryset.only("id", "model", "object_id", "field", "source_hash"))
        return queryset.filter(pk__in=stale) if self.value() == "stale" else queryset.exclude(pk__in=stale)


@admin.register(Translation)
class TranslationAdmin(admin.ModelAdmin):
    """Editors correct machine translations here; a saved translation becomes human and is never replaced."""

    list_display = ("model", "object_id", "field", "language", "origin", "provider", "short_text", "updated")
    list_filter = ("language", "origin", "model", FreshnessFilter)
    search_fields = ("text",)
    fields = ("model", "object_id", "field", "language", "source_text", "text", "origin", "provider", "updated")
    readonly_fields = ("model", "object_id", "field", "language", "source_text", "origin", "provider", "updated")
    actions = ["retranslate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # translations are made by the site or the backfill, then corrected here

    @admin.display(description=_("text"))
    def short_text(self, obj: Translation) -> str:
        return obj.text[:80]

    @admin.display(description=_("source text"))
    def source_text(self, obj: Translation) -> str:
        sources = storage.current_sources([(obj.model, obj.object_id, obj.field)])
        return sources[(obj.model, obj.object_id, obj.field)]

    def save_model(self, request: HttpRequest, obj: Translation, form: forms.ModelForm, change: bool) -> None:
        obj.origin = Translation.Origin.HUMAN
        obj.provider = f"editor:{request.user.get_username()}"
        obj.source_hash = registry.source_hash(self.source_text(obj))
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Re-translate the selected machine translations"), permissions=["change"])
    def retranslate(self, request: HttpRequest, queryset: QuerySet[Translation]) -> None:
        machine = queryset.filter(origin=Translation.Origin.MACHINE)
        count = queue_retranslation(machine)
        self.message_user(request, _("%(count)d texts queued for translation.") % {"count": count}, messages.SUCCESS)


def queue_retranslation(rows: QuerySet[Translation]) -> int:
    """Queue machine translation of these rows' fields, grouped by the exam's source language."""
    selected = list(rows)
    languages = source_languages(selected)
    groups: dict[tuple[str, str], list[list]] = {}
    for row in selected:
        source_language = languages[(row.model, row.object_id)]
        groups.setdefault((source_language, row.language), []).append([row.model, row.object_id, row.field])
    for (source_language, language), keys in groups.items():
        for start in range(0, len(keys), backfill.BATCH_SIZE):
            enqueue(translate_missing_batch, source_language, language, keys[start : start + backfill.BATCH_SIZE])
    return sum(len(keys) for keys in groups.values())


SOURCE_LANGUAGE_PATH: dict[type[Model], str] = {
    Exam: "source_language",
    Question: "exam__source_language",
    Choice: "question__exam__source_language",
}


def source_languages(rows: list[Translation]) -> dict[tuple[str, int], str]:
    """The exam source language of each row's object: one query per model, not one per row."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        ids.setdefault(row.model, set()).add(row.object_id)
    languages = {}
    for model_label, object_ids in ids.items():
        model = registry.BY_LABEL[model_label]
        found = model._default_manager.filter(pk__in=object_ids).values_list("pk", SOURCE_LANGUAGE_PATH[model])
        languages.update({(model_label, pk): language for pk, language in found})
    return languages
