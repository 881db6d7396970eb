import ast
import json

from celery import current_app
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult

from jobs.models import OutboxMessage, TrackedJob


@admin.register(TrackedJob)
class TrackedJobAdmin(admin.ModelAdmin):
    list_display = ("task_id", "task_name", "user", "created")
    list_filter = ("task_name",)
    search_fields = ("task_id", "user__username")
    readonly_fields = ("task_id", "task_name", "user", "created")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a job is recorded by starting it (jobs.services.start_job), never by hand


class PendingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("pending", "waiting to be published"), ("sent", "published")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> QuerySet[OutboxMessage]:
        if self.value() in ("pending", "sent"):
            return queryset.filter(sent__isnull=self.value() == "pending")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Jobs recorded with their data; pending ones wait for the broker (the relay publishes them)."""

    list_display = ("task_name", "task_id", "created", "age", "sent", "attempts", "last_error")
    list_filter = (PendingFilter, "task_name")
    search_fields = ("task_id", "task_name")
    readonly_fields = ("task_name", "task_id", "args", "created", "sent", "attempts", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="age")
    def age(self, message: OutboxMessage) -> str:
        end = message.sent or timezone.now()
        return f"{(end - message.created).total_seconds():.0f} s"


def stored_arguments(result: TaskResult) -> tuple[list, dict]:
    """The args and kwargs a result was stored with (extended results keep their repr as JSON).

    Raises ValueError when they cannot be read back, e.g. a repr Celery shortened.
    """
    args = ast.literal_eval(json.loads(result.task_args or '"()"'))
    kwargs = ast.literal_eval(json.loads(result.task_kwargs or '"{}"'))
    if not isinstance(args, tuple | list) or not isinstance(kwargs, dict):
        raise ValueError("stored arguments are not a list and a mapping")
    return list(args), kwargs


admin.site.unregister(TaskResult)


@admin.register(TaskResult)
class RerunnableTaskResultAdmin(TaskResultAdmin):
    actions = ["rerun"]

    @admin.action(description="Re-run the selected tasks with the same arguments", permissions=["change"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[TaskResult]) -> None:
        for result in queryset:
            try:
                args, kwargs = stored_arguments(result)
            except (ValueError, SyntaxError):
                self.message_user(
                    request, f"{result.task_id}: its arguments were not kept whole; not re-run.", messages.ERROR
                )
                continue
            new = current_app.send_task(result.task_name, args=args, kwargs=kwargs)
            self.message_user(request, f"{result.task_name} {result.task_id} re-run as {new.id}.", messages.SUCCESS)
