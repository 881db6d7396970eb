class BackupError(Exception):
    """A backup, verification or restore failed; the message is one line fit for Slack and Admin."""


class BackupTimedOut(BackupError):
    """The tools ran past the time limit and were killed."""


class BackupMisconfigured(BackupError):
    """A missing or wrong tool or setting: retrying cannot help until someone fixes it."""


class BackupFailed(BackupError):
    """An attempt failed and is recorded: to be retried (retrying) or failed for good, and then
    already told to Slack and staff."""

    def __init__(self, backup_pk: int, message: str, retrying: bool) -> None:
        super().__init__(f"backup {backup_pk} failed: {message}")
        self.message = message
        self.retrying = retrying


class BackupRefused(BackupError):
    """Another backup is running, or the same scheduled backup already ran (a second beat)."""
