import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


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
