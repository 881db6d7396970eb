import json

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from quiz import exam_io
from quiz.models import Attempt, Choice, Exam, Question, ReviewItem, Tag


class ChoiceInline(nested_admin.NestedTabularInline):
    model = Choice
    extra = 0
    min_num = 2
    fields = ("order", "text", "is_correct")


class QuestionInline(nested_admin.NestedStackedInline):
    model = Question
    extra = 0
    fields = ("order", "kind", "text", "explanation")
    inlines = [ChoiceInline]


class ImportExamForm(forms.Form):
    file = forms.FileField(label=_("Exam file (JSON)"), help_text=_("Format: docs/exam-format.md"))


@admin.register(Exam)
class ExamAdmin(nested_admin.NestedModelAdmin):
    list_display = ("title", "slug", "source_language", "is_published", "updated")
    list_filter = ("is_published", "source_language", "tags")
    search_fields = ("title", "slug", "description", "questions__text")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("tags",)
    inlines = [QuestionInline]
    actions = ["publish", "unpublish", "export_json"]
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
                exam = exam_io.import_exam(exam_io.parse(form.cleaned_data["file"].read()))
            except exam_io.ExamFileError as error:
                for problem in error.errors:
                    form.add_error("file", problem)
            else:
                self.message_user(request, _("Imported %(title)s.") % {"title": exam.title}, messages.SUCCESS)
                return redirect("admin:quiz_exam_change", exam.pk)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta}
        return render(request, "admin/quiz/exam/import.html", context, status=400 if form.errors else 200)

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
    list_display = ("user", "exam", "started", "finished", "correct_count", "question_count")
    list_filter = ("exam",)
    search_fields = ("user__username", "exam__title")
    list_select_related = ("user", "exam")
    readonly_fields = ("user", "exam", "started", "finished", "correct_count", "question_count")


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ("user", "question", "due", "repetitions", "interval_days", "ease_factor")
    list_filter = ("due",)
    search_fields = ("user__username", "question__text")
    list_select_related = ("user", "question")
    raw_id_fields = ("user", "question")
