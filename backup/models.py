from datetime import timedelta

from django.db import models
from django.db.models import Q


class Backup(models.Model):
    """One database backup: what started it, how it went, and the file it left."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        ADMIN = "admin"
        COMMAND = "command"

    class Status(models.TextChoices):
        RUNNING = "running"
        RETRYING = "retrying"  # an attempt failed; the task comes back after BACKUP_RETRY_DELAY_SECONDS
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    task_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)  # a running row that stops moving belongs to a lost worker
    engine = models.CharField(max_length=16)  # "postgresql" or "sqlite"
    server_version = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    verified = models.BooleanField(null=True, help_text="Read back whole and checked by the database's own tools.")
    verification = models.TextField(blank=True)
    row_counts = models.JSONField(default=dict, blank=True, help_text="Rows per table at the dump's snapshot.")
    error = models.TextField(blank=True)
    drilled = models.DateTimeField(null=True, blank=True, help_text="When a restore drill last restored this file.")
    drill_ok = models.BooleanField(null=True)
    drill_report = models.TextField(blank=True)

    class Meta:
        ordering = ["-started"]
        constraints = [
            # The lock: two backups never run at once. A worker that died leaves its row running;
            # the next backup releases it once the row has not moved past the time limit (services.abandon_stale).
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="one_running_backup"),
        ]

    def __str__(self) -> str:
        return f"Backup {self.pk} ({self.status}) {self.file_name}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished - self.started if self.finished else None
