import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Max, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from fsrs.scheduler import DEFAULT_PARAMETERS

from drillquiz import humanize
from drillquiz.admin_site import RecordAdmin
from drillquiz.ids import plain_id
from drillquiz.languages import language_codes
from quiz import exam_io, translatable
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
)
from translations import backfill, registry, storage
from translations.models import Translation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a type-checking helper, not installed in production


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    extra = 0
    min_num = 2
    fields = ("order", "text", "is_correct")

    def get_formset(
        self, request: HttpRequest, obj: Question | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet[Choice, Question, forms.ModelForm[Choice]]]:
        return super().get_formset(request, obj, validate_min=True, **kwargs)  # a question has two choices or more


class ImportExamForm(forms.Form):
    file = forms.FileField(label=_("Exam file (JSON)"), help_text=_("Format: docs/exam-format.md"))


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin[Exam]):
    """An exam's own fields; its questions have pages of their own (QuestionAdmin), linked from here, so
    the page stays small however many questions the exam has."""

    list_display = ("title", "slug", "source_language", "is_published", "time_limit_minutes", "updated")
    list_filter = ("is_published", "source_language", "tags")
    search_fields = ("title", "slug", "description", "questions__text")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("tags",)
    actions = ["publish", "unpublish", "export_json", "translate_missing"]
    readonly_fields = ("question_summary", "translation_status")
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

    @admin.display(description=_("questions"))
    def question_summary(self, exam: Exam) -> str:
        """How many questions and choices, a link to each question and to the exam's list, and "Add question"."""
        if exam.pk is None:
            return gettext("Save the exam first, then add its questions.")
        questions = list(exam.questions.values_list("pk", "text"))
        choices = Choice.objects.filter(question__exam=exam).count()
        counts = ngettext("%(count)d question", "%(count)d questions", len(questions)) % {"count": len(questions)}
        counts += ", " + ngettext("%(count)d choice", "%(count)d choices", choices) % {"count": choices}
        links = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            exam_questions_url(exam.pk),
            counts,
            reverse("admin:quiz_question_add") + "?" + urlencode({"exam": exam.pk}),
            gettext("Add question"),
        )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((reverse("admin:quiz_question_change", args=[pk]), first_words(text)) for pk, text in questions),
        )
        return format_html('<p>{}</p><ol class="question-summary">{}</ol>', links, items) if questions else links

    @admin.display(description=_("translations"))
    def translation_status(self, exam: Exam) -> str:
        """Per language: how many texts are fresh, stale or missing (and stale human ones)."""
        if exam.pk is None:
            return "-"
        lines = []
        for plan in translatable.plan_exam(exam, language_codes()):
            counts = plan.counts
            lines.append(
                f"{plan.language}: {counts['fresh']} fresh, {counts['stale']} stale, {counts['missing']} missing, "
                f"{counts['human, stale']} human but stale"
            )
        return "; ".join(lines)

    @admin.action(description=_("Translate missing and stale texts of the selected exams"), permissions=["change"])
    def translate_missing(self, request: HttpRequest, queryset: QuerySet[Exam]) -> None:
        count = backfill.queue_batches(translatable.plan(queryset))
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


def exam_questions_url(exam_id: int) -> str:
    return reverse("admin:quiz_question_changelist") + "?" + urlencode({"exam__id__exact": exam_id})


def first_words(text: str, words: int = 10) -> str:
    return Truncator(" ".join(text.split())).words(words)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    """A question with its choices inline; the list, filtered by exam, reorders an exam's questions."""

    list_display = ("question_text", "exam", "order", "kind", "choice_count")
    list_display_links = ("question_text",)
    list_editable = ("order",)
    list_filter = ("exam", "kind")
    list_select_related = ("exam",)
    list_per_page = 100
    search_fields = ("text", "explanation", "choices__text")
    ordering = ("exam__title", "order", "id")
    fields = ("exam", "exam_link", "order", "kind", "text", "explanation")
    readonly_fields = ("exam_link",)
    inlines = [ChoiceInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return super().get_queryset(request).annotate(choice_total=Count("choices"))

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], str | bool]]:
        """One exam's questions (the list the exam page links to) need no exam column."""
        if "exam__id__exact" in request.GET:
            return [name for name in self.list_display if name != "exam"]
        return list(self.list_display)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """From the exam's "Add question" link (?exam=ID): that exam, and the order after its last question."""
        initial: dict[str, Any] = {**super().get_changeform_initial_data(request)}
        exam_id = plain_id(request.GET.get("exam", ""))
        if exam_id is not None:  # anything else is no exam
            last = Question.objects.filter(exam_id=exam_id).aggregate(last=Max("order"))["last"]
            initial["order"] = 0 if last is None else last + 1
        return initial

    def response_post_save_add(self, request: HttpRequest, obj: Question) -> HttpResponseRedirect:
        return self.back_to_exam(request, obj) or super().response_post_save_add(request, obj)

    def response_post_save_change(self, request: HttpRequest, obj: Question) -> HttpResponseRedirect:
        return self.back_to_exam(request, obj) or super().response_post_save_change(request, obj)

    def back_to_exam(self, request: HttpRequest, obj: Question) -> HttpResponseRedirect | None:
        """Saved from a page not opened from a filtered list: back to the question's exam's list."""
        if request.GET.get("_changelist_filters") or not self.has_view_or_change_permission(request):
            return None
        return HttpResponseRedirect(exam_questions_url(obj.exam_id))

    @admin.display(description=_("question"), ordering="text")
    def question_text(self, question: Question) -> str:
        return first_words(question.text)

    @admin.display(description=_("choices"), ordering="choice_total")
    def choice_count(self, question: Question) -> int:
        total: int = question.choice_total  # type: ignore[attr-defined]  # get_queryset's annotation
        return total

    @admin.display(description=_("exam's page"))
    def exam_link(self, question: Question) -> str:
        if question.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:quiz_exam_change", args=[question.exam_id]),
            question.exam.title,
            exam_questions_url(question.exam_id),
            gettext("all its questions"),
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin[Attempt]):
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

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[ReviewItem]
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [("yes", _("leeches (forgotten %(count)d times or more)") % {"count": LEECH_LAPSES})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
        return queryset.filter(lapses__gte=LEECH_LAPSES) if self.value() == "yes" else queryset


@admin.register(ReviewItem)
class ReviewItemAdmin(RecordAdmin[ReviewItem]):
    """Learners' cards, for editors to find the questions learners keep forgetting (leeches)."""

    list_display = ("user", "question", "state", "due", "stability", "difficulty", "lapses", "leech")
    list_filter = (LeechFilter, "state")
    search_fields = ("user__username", "question__text")
    list_select_related = ("user", "question")

    @admin.display(boolean=True, description=_("leech"), ordering="lapses")
    def leech(self, item: ReviewItem) -> bool:
        return item.is_leech


@admin.register(ReviewLog)
class ReviewLogAdmin(RecordAdmin[ReviewLog]):
    list_display = ("reviewed_at", "user", "item", "rating", "duration_ms", "state_before", "state_after", "due_after")
    list_filter = ("rating", "state_before")
    search_fields = ("user__username",)
    list_select_related = ("user", "item__question")
    date_hierarchy = "reviewed_at"


@admin.register(LearnerParameters)
class LearnerParametersAdmin(RecordAdmin[LearnerParameters]):
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


class StateFilter(admin.SimpleListFilter):
    """Fresh, stale or an editor's; "missing" lists no rows (a missing translation has none) and says
    instead how many texts of each exam have no translation yet."""

    title = _("state")
    parameter_name = "freshness"  # its first name, kept for the links editors saved

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Translation]
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [
            ("fresh", _("fresh")),
            ("stale", _("stale (source changed)")),
            ("human", _("human (an editor's)")),
            ("missing", _("missing (not translated yet)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Translation]) -> QuerySet[Translation]:
        if self.value() == "human":
            return queryset.filter(origin=Translation.Origin.HUMAN)
        if self.value() == "missing":
            tell_missing(request)
            return queryset.none()
        if self.value() not in {"stale", "fresh"}:
            return queryset
        stale = storage.stale_ids(queryset.only("id", "model", "object_id", "field", "source_hash"))
        return queryset.filter(pk__in=stale) if self.value() == "stale" else queryset.exclude(pk__in=stale)


def tell_missing(request: HttpRequest) -> None:
    """A message per exam and language with texts not translated yet (of the exam and language filtered)."""
    exams = Exam.objects.all()
    if (exam_id := ExamFilter.exam_id(request.GET.get(ExamFilter.parameter_name))) is not None:
        exams = exams.filter(pk=exam_id)
    language = request.GET.get("language__exact")
    languages = [language] if language in language_codes() else language_codes()
    found = False
    for plan in (item for exam in exams for item in translatable.plan_exam(exam, languages)):
        if plan.counts["missing"]:
            found = True
            counts = {"exam": str(plan.subject), "language": plan.language, "count": plan.counts["missing"]}
            messages.info(request, gettext("%(exam)s, %(language)s: %(count)d texts not translated yet.") % counts)
    if found:
        messages.info(request, gettext("The exam list's action translates them."))
    else:
        messages.info(request, gettext("Every text has a translation."))


class ExamFilter(admin.SimpleListFilter):
    """The translations of one exam: its own, its questions' and their choices'."""

    title = _("exam")
    parameter_name = "exam"

    @staticmethod
    def exam_id(value: str | None) -> int | None:
        return plain_id(value or "")

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Translation]
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [(str(pk), title) for pk, title in Exam.objects.values_list("pk", "title")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Translation]) -> QuerySet[Translation]:
        if self.value() is None:
            return queryset
        exam_id = self.exam_id(self.value())
        if exam_id is None:
            return queryset.none()
        questions = Question.objects.filter(exam_id=exam_id).values("pk")
        choices = Choice.objects.filter(question__exam_id=exam_id).values("pk")
        return queryset.filter(
            Q(model=registry.label(Exam), object_id=exam_id)
            | Q(model=registry.label(Question), object_id__in=questions)
            | Q(model=registry.label(Choice), object_id__in=choices)
        )


class KindFilter(admin.SimpleListFilter):
    title = _("translation of")
    parameter_name = "model"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Translation]
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [(label, capfirst(str(model._meta.verbose_name_plural))) for label, model in registry.BY_LABEL.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Translation]) -> QuerySet[Translation]:
        return queryset if self.value() is None else queryset.filter(model=self.value())


Target = tuple[str, str]  # what a translation translates: its name and its Admin page


def targets(rows: Iterable[Translation]) -> dict[tuple[str, int], Target]:
    """The name and Admin page of each row's object, one query per model (a choice is edited on its
    question's page); an object that is gone has no entry."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        ids.setdefault(row.model, set()).add(row.object_id)
    found: dict[tuple[str, int], Target] = {}
    for pk, title in Exam.objects.filter(pk__in=ids.get(registry.label(Exam), ())).values_list("pk", "title"):
        found[(registry.label(Exam), pk)] = (title, reverse("admin:quiz_exam_change", args=[pk]))
    for pk, text in Question.objects.filter(pk__in=ids.get(registry.label(Question), ())).values_list("pk", "text"):
        found[(registry.label(Question), pk)] = (first_words(text), reverse("admin:quiz_question_change", args=[pk]))
    choices = Choice.objects.filter(pk__in=ids.get(registry.label(Choice), ()))
    for pk, text, question_id, question in choices.values_list("pk", "text", "question_id", "question__text"):
        words = {"choice": first_words(text, 6), "question": first_words(question, 6)}
        name = gettext("%(choice)s (of %(question)s)") % words
        found[(registry.label(Choice), pk)] = (name, reverse("admin:quiz_question_change", args=[question_id]))
    return found


class TranslationChangeList(ChangeList):
    """Looks up the objects of a page's rows together, once the page is known, and gives each row its own."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        found = targets(self.result_list)
        for row in self.result_list:
            row.target = found.get((row.model, row.object_id))


@admin.register(Translation)
class TranslationAdmin(admin.ModelAdmin[Translation]):
    """Editors correct machine translations here; a saved translation becomes human and is never replaced."""

    list_display = ("translated", "field", "language", "origin", "short_text", "provider", "updated_shown")
    list_display_links = ("field",)  # the first column links to the object's own page
    list_filter = ("language", StateFilter, ExamFilter, KindFilter, "origin")
    search_fields = ("text",)
    fields = ("translated", "field", "language", "source_text", "text", "origin", "provider", "updated_shown")
    readonly_fields = ("translated", "field", "language", "source_text", "origin", "provider", "updated_shown")
    actions = ["retranslate"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TranslationChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # translations are made by the site or the backfill, then corrected here

    @admin.display(description=_("translation of"))
    def translated(self, obj: Translation) -> str:
        """The object's kind and own name (an exam's title, a question's first words), linked to its page."""
        # On the list, the row's changelist looked it up; on its own page, it is looked up here.
        target = obj.target if hasattr(obj, "target") else targets([obj]).get((obj.model, obj.object_id))
        kind = registry.BY_LABEL[obj.model]._meta.verbose_name if obj.model in registry.BY_LABEL else obj.model
        if target is None:
            return format_html("{} {} ({})", capfirst(kind), obj.object_id, gettext("deleted"))
        return format_html('{}: <a href="{}">{}</a>', capfirst(kind), target[1], target[0])

    @admin.display(description=_("updated"), ordering="updated")
    def updated_shown(self, obj: Translation) -> str:
        return humanize.moment(obj.updated)

    @admin.display(description=_("text"))
    def short_text(self, obj: Translation) -> str:
        """The start of the text, and all of it on hover (the change page shows it whole too)."""
        return format_html('<span title="{}">{}</span>', obj.text, Truncator(obj.text).chars(80))

    @admin.display(description=_("source text"))
    def source_text(self, obj: Translation) -> str:
        sources = storage.current_sources([(obj.model, obj.object_id, obj.field)])
        return sources[(obj.model, obj.object_id, obj.field)]

    def save_model(
        self, request: HttpRequest, obj: Translation, form: forms.ModelForm[Translation], change: bool
    ) -> None:
        obj.origin = Translation.Origin.HUMAN
        obj.provider = f"editor:{request.user.get_username()}"
        obj.source_hash = registry.source_hash(self.source_text(obj))
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Re-translate the selected machine translations"), permissions=["change"])
    def retranslate(self, request: HttpRequest, queryset: QuerySet[Translation]) -> None:
        machine = queryset.filter(origin=Translation.Origin.MACHINE)
        count = backfill.queue_retranslation(list(machine))
        self.message_user(request, _("%(count)d texts queued for translation.") % {"count": count}, messages.SUCCESS)
