"""Review reminders for many learners through real worker processes into a local SMTP sink.

Compares, in one run, the chunked design (200 users a task, one SMTP connection a chunk) with one
task and one SMTP connection per user (the same chunk task given one user at a time). Also counts
the SQL queries of one chunk at two sizes. Usage: make bench  (or: .venv/bin/python
bench/reminders.py --users 10000 --workers 2)
"""

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import BENCH_ENV, ROOT, setup_django

setup_django()

from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from drillquiz.celery import app
from jobs.services import enqueue
from quiz import reminders
from quiz.models import ReviewItem, ReviewReminder
from quiz.tasks import send_review_reminder_chunk
from tests.factories import make_exam

CELERY = str(Path(sys.executable).parent / "celery")


class Sink:
    """Counts what an SMTP server receives, and accepts everything."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.count += 1
        await asyncio.sleep(0)
        return "250 OK"


def make_learners(count: int) -> list[reminders.Pair]:
    exam = make_exam("bench-reminders", questions=5)
    questions = list(exam.questions.all())
    password = make_password(None)  # unusable: these learners never log in
    users = User.objects.bulk_create(
        User(username=f"learner{n}", email=f"learner{n}@example.com", password=password, language=("en", "ko")[n % 2])
        for n in range(count)
    )
    today = timezone.localdate()
    ReviewItem.objects.bulk_create(
        ReviewItem(user=user, question=question, due=timezone.now()) for user in users for question in questions[:3]
    )
    return [(user.pk, today) for user in users]


def queries_per_chunk(pairs: list[reminders.Pair]) -> dict[int, int]:
    counts = {}
    for size in (20, 200):
        with CaptureQueriesContext(connection) as queries:
            reminders.send_chunk(pairs[:size])
        counts[size] = len(queries)
        ReviewReminder.objects.all().delete()
    return counts


def run(label: str, pairs: list[reminders.Pair], chunk_size: int, sink: Sink, timeout: float) -> tuple[float, int]:
    """Enqueue every reminder in chunks of chunk_size and time until the sink has them all."""
    ReviewReminder.objects.all().delete()
    sink.count = 0
    started = time.perf_counter()
    for start in range(0, len(pairs), chunk_size):
        chunk = [[user_id, day.isoformat()] for user_id, day in pairs[start : start + chunk_size]]
        enqueue(send_review_reminder_chunk.name, chunk)
    while sink.count < len(pairs) and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    print(f"{label}: {sink.count} emails in {elapsed:.1f} s", file=sys.stderr)
    return elapsed, sink.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker process concurrency")
    parser.add_argument("--timeout", type=float, default=900)
    options = parser.parse_args()

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=8025)
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 8025
    pairs = make_learners(options.users)
    per_chunk = queries_per_chunk(pairs)
    app.control.purge()

    env = {**os.environ, **BENCH_ENV, "EMAIL_URL": "smtp://127.0.0.1:8025"}
    worker = subprocess.Popen(
        [
            CELERY,
            "-A",
            "drillquiz",
            "worker",
            "-Q",
            "notifications",
            "-c",
            str(options.workers),
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(5)  # the worker's start-up, outside both timings
        chunked = run("chunks of 200", pairs, reminders.CHUNK_SIZE, sink, options.timeout)
        per_user = run("one task per user", pairs, 1, sink, options.timeout)
    finally:
        worker.terminate()
        worker.wait()
        smtp.stop()

    print(f"| design ({options.users} learners, worker concurrency {options.workers}) | emails | seconds | emails/s |")
    print("| --- | --- | --- | --- |")
    designs = {
        "chunks of 200, one SMTP connection each": chunked,
        "one task and one SMTP connection per user": per_user,
    }
    for label, (elapsed, sent) in designs.items():
        print(f"| {label} | {sent} | {elapsed:.1f} | {sent / elapsed:.1f} |")
    print(f"\nSQL queries for one chunk: {per_chunk[20]} for 20 users, {per_chunk[200]} for 200 users")
    print(f"Ratio chunked / per-user emails/s: {(chunked[1] / chunked[0]) / (per_user[1] / per_user[0]):.2f}")


if __name__ == "__main__":
    main()
