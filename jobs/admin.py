import ast
import json
import uuid

from celery import current_app
from celery.schedules import ParseException
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_results.admin import GroupResultAdmin, TaskResultAdmin
from django_celery_results.models import GroupResult, TaskResult

from drillquiz.admin_site import RecordAdmin
from jobs.models import OutboxMessage, TrackedJob
from jobs.services import UnknownTask, enqueue


@admin.register(TrackedJob)
class TrackedJobAdmin(RecordAdmin[TrackedJob]):
    """A job is recorded by starting it (jobs.services.start_job), never by hand."""

    list_display = ("task_id", "task_name", "user", "created")
    list_filter = ("task_name",)
    search_fields = ("task_id", "user__username")


class PendingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: "admin.ModelAdmin[OutboxMessage]") -> list[tuple[str, str]]:
        return [("pending", "waiting to be published"), ("sent", "published")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> QuerySet[OutboxMessage]:
        if self.value() in ("pending", "sent"):
            return queryset.filter(sent__isnull=self.value() == "pending")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin[OutboxMessage]):
    """Jobs recorded with their data; pending ones wait for the broker (the relay publishes them)."""

    list_display = ("task_name", "task_id", "created", "age", "sent", "attempts", "last_error")
    list_filter = (PendingFilter, "task_name")
    search_fields = ("task_id", "task_name")

    @admin.display(description="age")
    def age(self, message: OutboxMessage) -> str:
        end = message.sent or timezone.now()
        return f"{(end - message.created).total_seconds():.0f} s"


def stored_arguments(result: TaskResult) -> tuple[list[object], dict[str, object]]:
    """The args and kwargs a result was stored with (extended results keep their repr as JSON).

    Raises ValueError when they cannot be read back, e.g. a repr Celery shortened.
    """
    args = ast.literal_eval(json.loads(result.task_args or '"()"'))
    kwargs = ast.literal_eval(json.loads(result.task_kwargs or '"{}"'))
    if not isinstance(args, tuple | list) or not isinstance(kwargs, dict):
        raise ValueError("stored arguments are not a list and a mapping")
    return list(args), kwargs


admin.site.unregister(TaskResult)
admin.site.unregister(GroupResult)


@admin.register(GroupResult)
class GroupResultRecordAdmin(RecordAdmin[GroupResult], GroupResultAdmin):
    """What a worker wrote about a group of tasks."""


@admin.register(TaskResult)
class RerunnableTaskResultAdmin(RecordAdmin[TaskResult], TaskResultAdmin):
    """What a worker wrote about a task; staff who may change task results may run one again."""

    actions = ["rerun"]

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_celery_results.change_taskresult")

    @admin.action(description="Re-run the selected tasks with the same arguments", permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[TaskResult]) -> None:
        for result in queryset:
            try:
                args, kwargs = stored_arguments(result)
            except (ValueError, SyntaxError):
                self.message_user(
                    request, f"{result.task_id}: its arguments were not kept whole; not re-run.", messages.ERROR
                )
                continue
            # Through the outbox like every job: kept if the broker is down, published by the relay.
            if kwargs:
                self.message_user(
                    request, f"{result.task_id}: a job takes no keyword arguments; not re-run.", messages.ERROR
                )
                continue
            new_id = str(uuid.uuid4())
            try:
                enqueue(result.task_name, *args, task_id=new_id)
            except UnknownTask as error:
                self.message_user(request, f"{result.task_id}: {error}; not re-run.", messages.ERROR)
                continue
            self.message_user(request, f"{result.task_name} {result.task_id} re-run as {new_id}.", messages.SUCCESS)


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class DescribedCrontabScheduleAdmin(CrontabScheduleAdmin):
    """django-celery-beat's, with a description that survives the form it is shown on.

    A form with a bad field (minute "-1") gives the crontab its raw values before saying so; beat's
    own description then raised ParseException and the page answered 500.
    """

    list_display = ("__str__", "description")
    fields = ("description", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("description",)

    @admin.display(description=_("human readable"))
    def description(self, crontab: CrontabSchedule) -> str:
        try:
            description: str = crontab.human_readable  # django-celery-beat has no type hints
            return description
        except (ParseException, ValueError):
            return "-"


class RegisteredTaskForm(PeriodicTaskForm):
    """django-celery-beat's form takes any text as a registered task and saves it as the task name: a
    NUL in it reached PostgreSQL, which refuses it, and the page answered 500."""

    def clean_regtask(self) -> str:
        name: str = self.cleaned_data["regtask"]
        if name and name not in current_app.tasks:
            raise forms.ValidationError(_("Not a registered task."))
        return name


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class CheckedPeriodicTaskAdmin(PeriodicTaskAdmin):
    form = RegisteredTaskForm
