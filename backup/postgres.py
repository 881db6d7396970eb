"""PostgreSQL backups with the standard tools: `pg_dump | zstd -3` (a plain SQL script) into a file,
restored by `zstd -dc | psql`.

pg_dump and zstd run as two processes joined by a pipe, so dumping and compressing use both cores
and no byte passes through Python. The password goes to them in PGPASSWORD, never in argv.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from backup.errors import BackupError, BackupMisconfigured, BackupTimedOut

SUFFIX = ".sql.zst"
# setpriv makes the kernel kill each tool when the worker process dies (even by SIGKILL), so a
# lost worker never leaves a pg_dump running.
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL", "--"]
COMPLETE = b"-- PostgreSQL database dump complete"


class Postgres:
    name = "postgresql"
    suffix = SUFFIX

    def __init__(self, settings_dict: dict[str, Any], bin_dir: str = "") -> None:
        self.db = settings_dict
        self.bin_dir = bin_dir

    # -- what the tools need --------------------------------------------------------------------

    def tool(self, name: str) -> str:
        path = shutil.which(name, path=self.bin_dir or None)
        if path is None:
            where = self.bin_dir or "PATH"
            raise BackupMisconfigured(f"{name} not found in {where}: install postgresql-client and zstd")
        return path

    def connection_args(self, dbname: str) -> list[str]:
        args = ["--no-password", f"--dbname={dbname}"]
        if self.db.get("HOST"):
            args.append(f"--host={self.db['HOST']}")
        if self.db.get("PORT"):
            args.append(f"--port={self.db['PORT']}")
        if self.db.get("USER"):
            args.append(f"--username={self.db['USER']}")
        return args

    def tool_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        if self.db.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.db["PASSWORD"])
        return env

    def connect(self, dbname: str | None = None, autocommit: bool = False) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(
                dbname=dbname or self.db["NAME"],
                host=self.db.get("HOST") or None,
                port=self.db.get("PORT") or None,
                user=self.db.get("USER") or None,
                password=self.db.get("PASSWORD") or None,
                autocommit=autocommit,
                connect_timeout=10,
            )
        except psycopg.OperationalError as error:
            raise BackupError(one_line(str(error))) from None

    def live_database(self) -> str:
        return str(self.db["NAME"])

    # -- backing up ------------------------------------------------------------------------------

    def server_version(self) -> str:
        with self.connect() as conn:
            return str(scalar(conn, "SHOW server_version"))

    def check_tools(self, server_version: str) -> None:
        """pg_dump must be of the server's major version: an older one refuses, a newer one writes
        scripts the server's own tools may not read."""
        version = [self.tool("pg_dump"), "--version"]
        output = subprocess.run(version, capture_output=True, text=True, check=False).stdout  # noqa: S603 - our argv
        tool_major, server_major = major_version(output), major_version(server_version)
        if tool_major != server_major:
            raise BackupMisconfigured(
                f"pg_dump is version {tool_major} but the server is PostgreSQL {server_major}: "
                f"install pg_dump {server_major} (or set BACKUP_PG_BIN_DIR)"
            )

    def dump(self, target: Path, time_limit: float) -> dict[str, int]:
        """Write the archive to target (which must not exist) and return the rows per table, counted
        in the very snapshot pg_dump dumped. Kills both tools past time_limit seconds."""
        with self.snapshot() as (conn, snapshot):
            self.write_archive(snapshot, target, time_limit)
            return count_rows(conn)

    @contextmanager
    def snapshot(self) -> Iterator[tuple[psycopg.Connection[Any], str]]:
        """A repeatable-read transaction and the id of its exported snapshot, for pg_dump --snapshot."""
        with self.connect() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn, str(scalar(conn, "SELECT pg_export_snapshot()"))

    def write_archive(self, snapshot: str, target: Path, time_limit: float) -> None:
        # A script that restores into an empty database or over an existing one, as any role.
        dump = [self.tool("pg_dump"), "--format=plain", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        dump += [f"--snapshot={snapshot}"]
        dump += self.connection_args(self.live_database())
        compress = [self.tool("zstd"), "-3", "--quiet", "--stdout"]
        run_pipeline(dump, compress, target, self.tool_env(), time_limit)

    def verify(self, path: Path, time_limit: float) -> str:
        """Read the whole file back: zstd checks every frame's checksum on the way, and the script
        must end with pg_dump's own last line (a dump cut short does not)."""
        with tempfile.TemporaryDirectory() as directory:
            end = Path(directory) / "end"
            run_pipeline(self.decompress(path), ["tail", "--bytes=256"], end, self.tool_env(), time_limit)
            if COMPLETE not in end.read_bytes():
                raise BackupError("the dump does not end with pg_dump's completion line: it is cut short")
        return "zstd read every frame; the script ends with pg_dump's completion line"

    # -- restoring -------------------------------------------------------------------------------

    def restore(self, path: Path, into: str, time_limit: float) -> None:
        """Run the script in database `into` (created if missing) in one transaction, stopping at
        the first error: it restores all or nothing."""
        self.create_database(into)
        psql = [self.tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
        run_pipeline(self.decompress(path), psql + self.connection_args(into), None, self.tool_env(), time_limit)

    def decompress(self, path: Path) -> list[str]:
        return [self.tool("zstd"), "--decompress", "--stdout", "--quiet", str(path)]

    def create_database(self, name: str) -> None:
        with self.connect("postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def scratch_database(self, name: str, directory: Path) -> str:
        return name

    def drop_database(self, name: str) -> None:
        with self.connect("postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def row_counts(self, database: str) -> dict[str, int]:
        with self.connect(database) as conn:
            return count_rows(conn)


def count_rows(conn: psycopg.Connection[Any]) -> dict[str, int]:
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    ).fetchall()
    counts = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = int(scalar(conn, query))
    return counts


def scalar(conn: psycopg.Connection[Any], query: str | sql.Composed) -> Any:
    row = conn.execute(query).fetchone()
    if row is None:
        raise BackupError(f"no result from {query!r}")
    return row[0]


def run_pipeline(
    first: list[str], second: list[str], target: Path | None, env: dict[str, str], time_limit: float
) -> None:
    """Run `first | second`, second's output into target (created 0600) or discarded. Both exit
    codes count. Past time_limit seconds both processes are killed and BackupTimedOut raised."""
    deadline = time.monotonic() + time_limit
    with tempfile.TemporaryFile() as first_err, tempfile.TemporaryFile() as second_err, output_file(target) as out:
        producer = subprocess.Popen(  # noqa: S603 - argv lists of our own tools, no shell
            DIE_WITH_PARENT + first, stdout=subprocess.PIPE, stderr=first_err, env=env
        )
        consumer = subprocess.Popen(  # noqa: S603
            DIE_WITH_PARENT + second, stdin=producer.stdout, stdout=out, stderr=second_err, env=env
        )
        producer.stdout.close()  # type: ignore[union-attr]  # the consumer holds the pipe now; the producer gets SIGPIPE if it dies
        processes = [producer, consumer]
        try:
            for process in processes:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise BackupTimedOut(f"{Path(first[0]).name} was still running at the time limit and was killed") from None
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        # The reader's error first: a writer it left behind only died of SIGPIPE.
        for process, argv, err in ((consumer, second, second_err), (producer, first, first_err)):
            if process.returncode != 0:
                err.seek(0)
                message = one_line(err.read().decode(errors="replace")) or f"exit code {process.returncode}"
                raise BackupError(f"{Path(argv[0]).name} failed: {message}")


@contextmanager
def output_file(target: Path | None) -> Iterator[int]:
    """A new file only the owner can read (or /dev/null), as a file descriptor."""
    if target is None:
        fd = os.open(os.devnull, os.O_WRONLY)
    else:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


def major_version(text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", text.split("PostgreSQL)")[-1])
    if match is None:
        raise BackupMisconfigured(f"cannot read a PostgreSQL version from {text!r}")
    return int(match.group(1))


def one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines)[:500]
