"""What backup/services.py needs of a database kind: Postgres (pg_dump) and Sqlite (the online
backup API) each provide it, so the services never ask which one they have."""

from pathlib import Path
from typing import Protocol


class Engine(Protocol):
    name: str  # Backup.engine
    suffix: str  # of the backup files

    def live_database(self) -> str:
        """The database the site runs on (a name, or a file with SQLite)."""

    def server_version(self) -> str: ...

    def check_tools(self, server_version: str) -> None:
        """Raise BackupMisconfigured if the tools cannot back up this server."""

    def dump(self, target: Path, time_limit: float) -> dict[str, int]:
        """Write a consistent copy to target and return the rows per table at its snapshot."""

    def verify(self, path: Path, time_limit: float) -> str:
        """Read the whole file back; raise BackupError if it is damaged, else say what was checked."""

    def restore(self, path: Path, into: str, time_limit: float) -> None: ...

    def scratch_database(self, name: str, directory: Path) -> str:
        """Where a restore drill may restore a copy (a database name, or a file in directory)."""

    def drop_database(self, name: str) -> None: ...

    def row_counts(self, database: str) -> dict[str, int]: ...
