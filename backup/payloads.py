"""The backup task's argument (backup.tasks), described once; Celery validates it."""

from pydantic import RootModel

from backup.models import Backup


class BackupTrigger(RootModel[Backup.Trigger]):
    """What asked for the backup: one of Backup.Trigger's values ("schedule", "admin", ...)."""
