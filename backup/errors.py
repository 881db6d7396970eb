class BackupError(Exception):
    """A backup, verification or restore failed; the message is one line fit for Slack and Admin."""


class BackupTimedOut(BackupError):
    """The tools ran past the time limit and were killed."""


class BackupMisconfigured(BackupError):
    """A missing or wrong tool or setting: retrying cannot help until someone fixes it."""


class BackupRefused(BackupError):
    """Another backup is running, or the same scheduled backup already ran (a second beat)."""
