"""Translate-on-view: page latency with the background save against saving on the request path, and
the save task's throughput in bulk against one save per field. Both pairs are measured side by side,
interleaved, in one run, on PostgreSQL. Usage: make bench  (or: .venv/bin/python bench/translate_on_view.py)
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import setup_django

setup_django()

from django.core.cache import cache
from django.test import Client

from accounts.models import User
from drillquiz.celery import app
from quiz import attempts
from quiz.models import Exam
from tests.factories import make_exam, make_user
from translations import payloads, registry, service, storage
from translations.models import Translation
from translations.tasks import batch_save_translation_results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def save_on_request_path(page: service.PageTranslation, provider: str) -> None:
    """The design we do not use: the page writes its translations before it answers."""
    storage.save_machine_translations(page.language, provider, page.pending)


def page_latencies(client: Client, url: str, rounds: int) -> dict[str, list[float]]:
    background = service.schedule_save
    timings: dict[str, list[float]] = {"background save (enqueue after commit)": [], "save on the request path": []}
    for _ in range(rounds):
        for label, schedule in zip(timings, (background, save_on_request_path), strict=True):
            Translation.objects.all().delete()
            cache.clear()  # nothing stored, nothing cached: the provider is called every time
            service.schedule_save = schedule
            started = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            timings[label].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"error: the page answered {response.status_code}")
    service.schedule_save = background
    return timings


def entries_of(exam: Exam) -> list[dict[str, Any]]:
    objects = [exam, *exam.questions.all()]
    objects += [choice for question in exam.questions.all() for choice in question.choices.all()]
    return payloads.entries_json(
        [
            storage.Entry(registry.label(type(obj)), obj.pk, name, f"EN {source}", registry.source_hash(source))
            for obj in objects
            for name in registry.FIELDS[type(obj)]
            if (source := getattr(obj, name))
        ]
    )


def save_rates(entries: list[dict[str, Any]], rounds: int) -> dict[str, list[float]]:
    def in_bulk() -> None:
        batch_save_translation_results.apply(args=("en", "bench", entries)).get()

    def per_field() -> None:
        for item in entries:
            batch_save_translation_results.apply(args=("en", "bench", [item])).get()

    designs: dict[str, Callable[[], None]] = {
        "one task for the page (bulk upsert)": in_bulk,
        "one save per field": per_field,
    }
    rates: dict[str, list[float]] = {label: [] for label in designs}
    for _ in range(rounds):
        for label, save in designs.items():
            Translation.objects.all().delete()
            started = time.perf_counter()
            save()
            rates[label].append(len(entries) / (time.perf_counter() - started))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()

    exam = make_exam("bench-ko", questions=options.questions, title="쿠버네티스", source_language="ko")
    user: User = make_user("bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/attempts/{attempts.start_attempt(user, exam).pk}/"

    timings = page_latencies(client, url, options.rounds)
    print(
        f"| take page, {options.questions} questions, nothing stored ({options.rounds} views each) | p50 ms | p99 ms |"
    )
    print("| --- | --- | --- |")
    for label, values in timings.items():
        print(f"| {label} | {statistics.median(values):.1f} | {percentile(values, 0.99):.1f} |")

    entries = entries_of(exam)
    rates = save_rates(entries, max(3, options.rounds // 5))
    print(f"\n| saving {len(entries)} translations | median translations/s |")
    print("| --- | --- |")
    for label, values in rates.items():
        print(f"| {label} | {statistics.median(values):.0f} |")
    bulk, single = (statistics.median(values) for values in rates.values())
    print(f"\nBulk / per-field: {bulk / single:.1f}x")
    app.control.purge()  # the background saves enqueued above had no worker to run them


if __name__ == "__main__":
    main()
