"""The Admin pages an editor opens most, for an exam of 100 questions (4 choices each).

In-process (Django test client, a logged-in superuser): the exam's change form, the exam's question
list and one question's change form. Per page: response size, SQL queries and the median time of
--rounds requests (after one warm-up request). Prints one row per page.
Usage: .venv/bin/python bench/admin.py  (or: --questions 100 --rounds 20)
"""

import argparse
import statistics
import time
from typing import Any

from common import BENCH_ENV, setup_django

# The benchmarks' shared Redis databases: they run one at a time, under the shared lock.
BENCH_ENV.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/5", CACHE_URL="redis://127.0.0.1:6379/6")
setup_django("drillquiz_bench_admin")

from django.db import connection
from django.test import Client

from tests.factories import make_exam, make_user


def measure(client: Client, url: str, rounds: int) -> tuple[int, int, float]:
    """Bytes and queries of one response (after a warm-up one), and the median milliseconds of `rounds` more."""
    client.get(url)
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted at the cursor: the request's own reset_queries() would empty what CaptureQueriesContext reads.
    with connection.execute_wrapper(count):
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return len(response.content), len(queries), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    exam = make_exam("bench-admin", questions=args.questions)
    question = exam.questions.get(order=0)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    pages = {
        "exam change form": f"/admin/quiz/exam/{exam.pk}/change/",
        "question list of the exam": f"/admin/quiz/question/?exam__id__exact={exam.pk}",
        "question change form": f"/admin/quiz/question/{question.pk}/change/",
    }
    print(f"{args.questions} questions, median of {args.rounds}")
    print("| page | kB (1000 bytes) | queries | median ms |\n| --- | --- | --- | --- |")
    for name, url in pages.items():
        if client.get(url).status_code == 404:  # the pages of questions before they had an admin of their own
            print(f"| {name} | - | - | - (no such page) |")
            continue
        size, queries, median = measure(client, url, args.rounds)
        print(f"| {name} | {size / 1000:.1f} | {queries} | {median:.1f} |")


if __name__ == "__main__":
    main()
