"""SQLite backups (the embedded default) through SQLite's online backup API: a consistent copy of
a live database file, checked with `PRAGMA integrity_check`."""

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from backup.errors import BackupError

SUFFIX = ".sqlite3"


class Sqlite:
    name = "sqlite"
    suffix = SUFFIX

    def __init__(self, settings_dict: dict[str, Any]) -> None:
        self.path = str(settings_dict["NAME"])

    def live_database(self) -> str:
        return self.path

    def server_version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def check_tools(self, server_version: str) -> None:
        """Nothing to check: the backup API is part of the sqlite3 module."""

    def dump(self, target: Path, time_limit: float) -> dict[str, int]:
        # Created 0600 before SQLite writes to it, so no other user can read it even for a moment.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        copy(self.path, str(target))
        with closing(sqlite3.connect(target)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return self.row_counts(str(target))

    def verify(self, path: Path, time_limit: float) -> str:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        if result is None or result[0] != "ok":
            raise BackupError(f"SQLite integrity check failed: {result}")
        return "SQLite integrity_check read the whole file: ok"

    def restore(self, path: Path, into: str, time_limit: float) -> None:
        copy(str(path), into)

    def scratch_database(self, name: str, directory: Path) -> str:
        return str(directory / f".{name}.sqlite3")

    def drop_database(self, name: str) -> None:
        Path(name).unlink(missing_ok=True)

    def row_counts(self, database: str) -> dict[str, int]:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            tables = [row[0] for row in conn.execute(query)]
            return {
                table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - names from sqlite_master
                for table in tables
                if not table.startswith("sqlite_")
            }


def copy(source: str, target: str) -> None:
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup failed: {error}") from None
