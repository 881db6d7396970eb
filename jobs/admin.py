import ast
import json

from celery import current_app
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult

from jobs.models import TrackedJob


@admin.register(TrackedJob)
class TrackedJobAdmin(admin.ModelAdmin):
    list_display = ("task_id", "task_name", "user", "created")
    list_filter = ("task_name",)
    search_fields = ("task_id", "user__username")
    readonly_fields = ("task_id", "task_name", "user", "created")


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
