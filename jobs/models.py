import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.constants import OnConflict
from django_celery_results.managers import TaskResultManager
from django_celery_results.models import TaskResult


class TrackedJob(models.Model):
    """A background job started by a user, so only that user may see its state."""

    task_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    task_name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class OutboxMessage(models.Model):
    """A job to publish, written in the same transaction as the data it belongs to.

    Published right after commit; if the broker cannot take it then, the relay
    (jobs.tasks.relay_outbox, and a catch-up at worker start) publishes it later.
    """

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    # Sent with the message (jobs.services.TRACKED_JOB_HEADER marks a job a user started).
    headers = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created"]
        indexes = [
            models.Index(fields=["created"], condition=Q(sent__isnull=True), name="outbox_pending"),
            # The relay's minute: sent rows past a day to delete, and sent rows to check for loss.
            models.Index(fields=["sent"], condition=Q(sent__isnull=False), name="outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class TaskResultUpserts(TaskResultManager):
    # django-celery-results' stubs lag its code (periodic_task_name, worker, date_started are passed).
    def store_result(  # type: ignore[override]
        self,
        content_type: str,
        content_encoding: str,
        task_id: str,
        result: Any,
        status: str,
        traceback: str | None = None,
        meta: str | None = None,
        periodic_task_name: str | None = None,
        task_name: str | None = None,
        task_args: str | None = None,
        task_kwargs: str | None = None,
        worker: str | None = None,
        using: str | None = None,
        **kwargs: Any,
    ) -> TaskResult:
        """django-celery-results' store, as one INSERT ... ON CONFLICT instead of a get_or_create and an
        update (a SELECT, an INSERT in a transaction, then a SELECT and an UPDATE per task).

        The statement goes through QuerySet._insert, as Model.save's does: bulk_create would wrap it in a
        transaction, two more round trips (0.73 against 1.10 ms a store here, BENCHMARKS.md)."""
        fields = {
            "status": status,
            "result": result,
            "traceback": traceback,
            "meta": meta,
            "content_encoding": content_encoding,
            "content_type": content_type,
            "periodic_task_name": periodic_task_name,
            "task_name": task_name,
            "task_args": task_args,
            "task_kwargs": task_kwargs,
            "worker": worker,
        }
        if "date_started" in kwargs:
            fields["date_started"] = kwargs["date_started"]
        stored = self.model(task_id=task_id, **fields)
        options = self.model._meta
        self.db_manager(using)._insert(  # type: ignore[attr-defined]
            [stored],
            fields=[field for field in options.concrete_fields if not field.primary_key],
            on_conflict=OnConflict.UPDATE,
            update_fields=[options.get_field(name) for name in [*fields, "date_done"]],
            unique_fields=[options.get_field("task_id")],
        )
        return stored


class StoredTaskResult(TaskResult):
    """django-celery-results' task result, stored in one statement (jobs.results's backend)."""

    objects = TaskResultUpserts()

    class Meta:
        proxy = True
