"""The progress page against the exam list, for a learner with 10,000 review logs.

Runs the web process as `make run` does (uvicorn, ASGI) against PostgreSQL and Redis, with a logged-in
learner whose history is --logs review logs spread over the last --days days, answered exams and cards
coming due, and drives both pages with wrk, alternating page by page and which goes first round by
round, so both see the same machine. wrk sees the progress page as every view after a learner's first
of the day does: with the days before today in the cache. Before that, the SQL queries and in-process
time (Django test client) of each page, and of the progress page with the cache emptied before each
request (the first view of the day). Prints a row per round, the medians and the ratios.
Usage: .venv/bin/python bench/progress.py  (or: --logs 10000 --rounds 5 --duration 10 --connections 16)
"""

import argparse
import random
import statistics
import time
from contextlib import nullcontext
from datetime import timedelta

from common import serving, session_cookie, setup_django, wrk

setup_django("drillquiz_bench_progress")

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from quiz import progress
from quiz.models import Answer, Attempt, CardState, Rating, ReviewItem, ReviewLog, Tag
from tests.factories import make_exam, make_user

PORT = 8766
PAGES = {"exam list": "/exams/", "progress": "/progress/"}
SERIES = {  # what happens before each request: nothing, a review (its study version replaced), or no cache
    "exam list": ("/exams/", None),
    "progress": ("/progress/", None),
    "progress, just after a review": ("/progress/", "studied"),
    "progress, nothing cached": ("/progress/", "cold"),
}
EXAMS, QUESTIONS, ATTEMPTED = 12, 40, 6


def prepare(logs: int, days: int) -> User:
    """A learner who answered 6 of 12 exams twice, holds a card per question of those, and has `logs`
    reviews of them evenly over the last `days` days (one in five rated Again)."""
    rng = random.Random(16)  # noqa: S311 - the same made-up history every run, not a secret
    now = timezone.now()
    user = make_user("bench", language="en", time_zone="Asia/Seoul")
    tags = [Tag.objects.create(name=name, slug=name.lower()) for name in ("Python", "Celery", "Kubernetes")]
    exams = [make_exam(f"bench-{n:02}", questions=QUESTIONS) for n in range(EXAMS)]
    for number, exam in enumerate(exams):
        exam.tags.add(tags[number % len(tags)])
    items = []
    for number, exam in enumerate(exams[:ATTEMPTED]):
        questions = list(exam.questions.all())
        for sitting in range(2):
            finished = now - timedelta(days=number * 20 + sitting * 7)
            correct = rng.randint(10, QUESTIONS)
            attempt = Attempt.objects.create(
                user=user, exam=exam, finished=finished, correct_count=correct, question_count=QUESTIONS
            )
            Answer.objects.bulk_create(
                Answer(attempt=attempt, question=question, is_correct=rng.random() < 0.7, answered_at=finished)
                for question in questions
            )
        items += ReviewItem.objects.bulk_create(
            ReviewItem(
                user=user,
                question=question,
                state=CardState.REVIEW,
                step=None,
                stability=10.0,
                difficulty=5.0,
                due=now + timedelta(hours=rng.randint(-48, 40 * 24)),
                last_review=now - timedelta(days=1),
            )
            for question in questions
        )
    span = timedelta(days=days)
    ReviewLog.objects.bulk_create(
        (
            ReviewLog(
                item=items[n % len(items)],
                user=user,
                rating=Rating.AGAIN if rng.random() < 0.2 else Rating.GOOD,
                reviewed_at=now - span * n / logs,
                duration_ms=rng.randint(2_000, 20_000),
                state_before=CardState.REVIEW,
                due_before=now,
                state_after=CardState.REVIEW,
                due_after=now,
            )
            for n in range(logs)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would leave a database that has had the time
    return user


def in_process(user: User, requests: int) -> dict[str, tuple[int, float]]:
    """Queries and the median ms of each series through Django's test client, alternating request by
    request: the exam list, the progress page, the progress page after a review, and with the cache
    emptied first (a learner's first view of the day, which counts the whole history)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    queries: dict[str, int] = {}
    times: dict[str, list[float]] = {name: [] for name in SERIES}
    for round_number in range(requests + 2):  # a warm-up round, a round counting queries, the timed ones
        for name, (path, before) in SERIES.items():
            if before == "studied":
                progress.changed(user.pk)  # outside a transaction: at once
            elif before == "cold":
                cache.clear()  # the benchmark's own Redis database
            with CaptureQueriesContext(connection) if round_number == 1 else nullcontext() as captured:
                start = time.perf_counter()
                status = client.get(path).status_code
                elapsed = 1000 * (time.perf_counter() - start)
            if status != 200:
                raise SystemExit(f"error: {path} answered {status}")
            if captured is not None:
                queries[name] = len(captured)
            elif round_number > 1:
                times[name].append(elapsed)
    return {name: (queries[name], statistics.median(times[name])) for name in SERIES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--in-process-requests", type=int, default=50)
    options = parser.parse_args()

    user = prepare(options.logs, options.days)
    cookie = session_cookie(user)
    logs, cards = ReviewLog.objects.filter(user=user).count(), ReviewItem.objects.filter(user=user).count()
    answers = Answer.objects.filter(attempt__user=user).count()
    print(f"learner: {logs} review logs over {options.days} days, {cards} cards, {answers} answers")
    print(f"\n| page | SQL queries | in-process median ms ({options.in_process_requests} requests, alternating) |")
    print("| --- | --- | --- |")
    for name, (queries, median) in in_process(user, options.in_process_requests).items():
        print(f"| {name} | {queries} | {median:.1f} |")
    if not options.rounds:  # --rounds 0: the queries and in-process times only
        return

    results: dict[str, list[dict[str, float]]] = {name: [] for name in PAGES}
    with serving(PORT, options.web_workers):
        print("\n| round | page | requests/s | p50 ms | p99 ms | non-2xx |", end=" ")
        print(f"({options.connections} connections, {options.duration} s each)")
        print("| --- | --- | --- | --- | --- | --- |")
        for round_number in range(options.rounds):
            order = list(PAGES) if round_number % 2 == 0 else list(reversed(PAGES))
            for name in order:
                result = wrk(f"http://127.0.0.1:{PORT}{PAGES[name]}", cookie, options.duration, options.connections)
                results[name].append(result)
                print(
                    f"| {round_number + 1} | {name} | {result['requests_per_s']:.2f} | {result['p50']:.2f} | "
                    f"{result['p99']:.2f} | {result['non_2xx']} |"
                )

    print(f"\n| page | median requests/s | median p50 ms | median p99 ms | (of {options.rounds} rounds)")
    print("| --- | --- | --- | --- |")
    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in ("requests_per_s", "p50", "p99")}
        for name, runs in results.items()
    }
    for name, figures in medians.items():
        print(f"| {name} | {figures['requests_per_s']:.2f} | {figures['p50']:.2f} | {figures['p99']:.2f} |")
    page, exams = medians["progress"], medians["exam list"]
    ratios = {key: page[key] / exams[key] for key in ("p50", "p99", "requests_per_s")}
    print(
        f"\nprogress / exam list: p50 {ratios['p50']:.3f}x, p99 {ratios['p99']:.3f}x, "
        f"requests/s {ratios['requests_per_s']:.3f}x"
    )


if __name__ == "__main__":
    main()
