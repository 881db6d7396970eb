"""Database backups of a generated database against plain shell pipelines, side by side.

For a database of --size-mb (default 1024) it times, interleaved, --rounds times each:
  - our backup's write (backup.postgres.Postgres.write_archive: pg_dump (plain) | zstd -3 into
    a 0600 file), then the row counts in the dump's snapshot, in this process;
  - `pg_dump | gzip` and `pg_dump | zstd -3` as bash pipelines (plain format, as the seeds did);
then the whole task (dump, fsync, verification read, sha256, record) through a real worker process,
whose peak memory (VmHWM) is read, for a 100 MB database and for the large one.
Usage: make bench  (or: .venv/bin/python bench/backups.py --size-mb 1024 --rounds 3)
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common import BENCH_ENV, ROOT, setup_django

setup_django("drillquiz_bench_backups")

import psycopg
from django.conf import settings
from django.db import connection

from backup.models import Backup
from backup.postgres import Postgres, count_rows
from backup.tasks import backup_database
from drillquiz.celery import app
from jobs.services import enqueue

CELERY = str(Path(sys.executable).parent / "celery")
MB = 1024 * 1024
TOOLS = {"pg_dump", "zstd", "tail"}


def source_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def database_size(name: str) -> int:
    with psycopg.connect(dbname=name, host="127.0.0.1", user="postgres") as conn:
        (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchall()[0]
    return int(size)


def generate(name: str, size_mb: int) -> int:
    """A database of at least size_mb: exam-like rows of text and numbers (kept between runs)."""
    with psycopg.connect(dbname="postgres", host="127.0.0.1", user="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    if database_size(name) >= size_mb * MB:
        return database_size(name)
    print(f"generating {name} ({size_mb} MB) ...", file=sys.stderr)
    with psycopg.connect(dbname=name, host="127.0.0.1", user="postgres", autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS answer_log (id bigserial PRIMARY KEY, user_id int, question_id int,"
            " answered timestamptz, correct boolean, topic text, note text)"
        )
        while database_size(name) < size_mb * MB:
            conn.execute(
                "INSERT INTO answer_log (user_id, question_id, answered, correct, topic, note)"
                " SELECT (random() * 100000)::int, (random() * 5000)::int,"
                " now() - random() * interval '365 days', random() < 0.7,"
                " (ARRAY['sql', 'celery', 'django', 'redis', 'kubernetes'])[1 + (g % 5)],"
                " 'answer ' || g || ' chose ' || md5(g::text) || ' after ' || (random() * 90)::int || ' seconds'"
                " FROM generate_series(1, 500000) AS g"
            )
        conn.execute("VACUUM ANALYZE answer_log")
    return database_size(name)


def timed_pipeline(command: str) -> tuple[float, int]:
    """Seconds and output bytes of a shell pipeline writing to a temporary file."""
    with tempfile.NamedTemporaryFile(dir=settings.BACKUP_DIR) as out:
        started = time.perf_counter()
        subprocess.run(["bash", "-o", "pipefail", "-c", f"{command} > {out.name}"], check=True)
        return time.perf_counter() - started, os.path.getsize(out.name)


def timed_dump(name: str) -> tuple[float, int, float]:
    """Our backup's write (the same code as the task), then the row counts in its snapshot:
    seconds writing, file bytes, seconds counting."""
    db = Postgres({"NAME": name, "HOST": "127.0.0.1", "PORT": 5432, "USER": "postgres", "PASSWORD": ""})
    target = Path(settings.BACKUP_DIR) / "ours.sql.zst"
    target.unlink(missing_ok=True)
    with db.snapshot() as (conn, snapshot):
        started = time.perf_counter()
        db.write_archive(snapshot, target, 3600)
        written = time.perf_counter()
        count_rows(conn)
        counted = time.perf_counter()
    size = target.stat().st_size
    target.unlink()
    return written - started, size, counted - written


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


class ChildPeaks(threading.Thread):
    """Samples the resident memory of a process's children (pg_dump, zstd) every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.running = pid, True
        self.peaks: dict[str, int] = {}

    def run(self) -> None:
        while self.running:
            for child in Path("/proc").glob("[0-9]*"):
                try:
                    status = (child / "status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                name = fields.get("Name", "").strip()
                # Only the tools once they run: a child between fork and exec is still a copy of the worker.
                if fields.get("PPid", "").strip() == str(self.pid) and name in TOOLS and "VmRSS" in fields:
                    self.peaks[name] = max(self.peaks.get(name, 0), int(fields["VmRSS"].split()[0]))
            time.sleep(0.05)


def task_in_worker(name: str) -> tuple[float, int, dict[str, int]]:
    """The whole backup task in a fresh worker process: seconds, the worker's peak RSS (kB), and
    the peak RSS of its child processes."""
    env = {**os.environ, **BENCH_ENV, "BACKUP_DATABASE_URL": source_url(name), "BACKUP_DIR": str(settings.BACKUP_DIR)}
    app.control.purge()
    worker = subprocess.Popen(
        [CELERY, "-A", "drillquiz", "worker", "-Q", "backups", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # a failed backup is reported from its record
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # start-up, outside the timing
        children = ChildPeaks(worker.pid)
        children.start()
        Backup.objects.all().delete()
        enqueue(backup_database.name, "admin")
        while not Backup.objects.filter(status__in=["succeeded", "failed"]).exists():
            time.sleep(0.2)
        children.running = False
        backup = Backup.objects.get()
        if backup.status != "succeeded" or backup.duration is None:
            raise SystemExit(f"error: the backup failed: {backup.error}")
        Path(settings.BACKUP_DIR, backup.file_name).unlink()
        return backup.duration.total_seconds(), peak_rss_kb(worker.pid), children.peaks
    finally:
        worker.terminate()
        worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--small-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backups-", dir=ROOT / "var") as directory:
        settings.BACKUP_DIR = directory
        compare(options)
    connection.close()


def compare(options: argparse.Namespace) -> None:
    large, small = "drillquiz_bench_backup_large", "drillquiz_bench_backup_small"
    large_bytes = generate(large, options.size_mb)
    small_bytes = generate(small, options.small_mb)
    url = source_url(large)
    counting: list[float] = []

    def ours() -> tuple[float, int]:
        seconds, size, counted = timed_dump(large)
        counting.append(counted)
        return seconds, size

    methods: dict[str, Callable[[], tuple[float, int]]] = {
        "ours: pg_dump (plain) | zstd -3 into the file": ours,
        "pg_dump | zstd -3": lambda: timed_pipeline(f"pg_dump '{url}' | zstd -3 -q"),
        "pg_dump | gzip (-6)": lambda: timed_pipeline(f"pg_dump '{url}' | gzip"),
    }
    results: dict[str, list[tuple[float, int]]] = {label: [] for label in methods}
    for round_number in range(options.rounds):
        for label, method in methods.items():
            results[label].append(method())
            print(f"round {round_number + 1}: {label}: {results[label][-1]}", file=sys.stderr)

    size_mb = large_bytes / MB
    fastest = min(statistics.median(t for t, _ in runs) for label, runs in results.items() if "ours" not in label)
    heading = f"method ({size_mb:.0f} MB database, median of {options.rounds})"
    print(f"\n| {heading} | seconds | MB/s | file MB | vs fastest pipeline |")
    print("| --- | --- | --- | --- | --- |")
    for label, runs in results.items():
        seconds = statistics.median(t for t, _ in runs)
        file_mb = statistics.median(size for _, size in runs) / MB
        print(f"| {label} | {seconds:.2f} | {size_mb / seconds:.1f} | {file_mb:.1f} | {fastest / seconds:.2f}x |")
    ours_runs = results["ours: pg_dump (plain) | zstd -3 into the file"]
    seconds = statistics.median(run[0] + count for run, count in zip(ours_runs, counting, strict=True))
    file_mb = statistics.median(size for _, size in ours_runs) / MB
    label = "ours, then the row counts in the dump's snapshot (for the restore drill)"
    print(f"| {label} | {seconds:.2f} | {size_mb / seconds:.1f} | {file_mb:.1f} | {fastest / seconds:.2f}x |")

    heading = "whole task in a worker (dump, verify, sha256, record)"
    print(f"\n| {heading} | seconds | worker peak RSS | peak RSS of its tools |")
    print("| --- | --- | --- | --- |")
    for name, size in ((small, small_bytes), (large, large_bytes)):
        seconds, worker_kb, children = task_in_worker(name)
        tools = ", ".join(f"{tool} {kb / 1024:.1f} MB" for tool, kb in sorted(children.items()))
        print(f"| {size / MB:.0f} MB database | {seconds:.2f} | {worker_kb / 1024:.1f} MB | {tools} |")


if __name__ == "__main__":
    main()
