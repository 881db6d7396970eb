"""The exporter's gauges (monitoring/collector.py), read from what the database, the broker and the
cache's Redis hold, in a few bounded queries."""

import math
from datetime import timedelta

import pytest
from celery import current_app, states
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_results.models import TaskResult
from prometheus_client import CollectorRegistry

from backup.models import Backup
from drillquiz.beat import HEARTBEAT_KEY, HEARTBEAT_KEY_SECONDS, redis_client
from jobs import outbox
from jobs.models import OutboxMessage
from monitoring.collector import DrillQuizCollector, from_database
from tests.monitoring.scrape import Series, of_registry, value

pytestmark = pytest.mark.django_db(transaction=True)


def scrape() -> Series:
    registry = CollectorRegistry()
    registry.register(DrillQuizCollector(timeout=5))
    return of_registry(registry)


def pending_jobs(count: int, age: timedelta) -> None:
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task_id=f"metrics-{age}-{n}", task_name="jobs.tasks.ping") for n in range(count)
    )
    OutboxMessage.objects.filter(task_id__startswith=f"metrics-{age}-").update(created=timezone.now() - age)


def backup(**fields: object) -> Backup:
    defaults: dict[str, object] = {"trigger": "schedule", "engine": "postgresql", "started": timezone.now()}
    return Backup.objects.create(**{**defaults, **fields})


def failed_task(done_ago: timedelta, status: str = states.FAILURE) -> None:
    result = TaskResult.objects.create(task_id=f"t-{TaskResult.objects.count()}", status=status)
    TaskResult.objects.filter(pk=result.pk).update(date_done=timezone.now() - done_ago)


def test_with_nothing_stored_yet_the_ages_are_infinite_and_the_counts_zero() -> None:
    series = scrape()

    assert value(series, "drillquiz_outbox_pending") == 0
    assert value(series, "drillquiz_outbox_oldest_age_seconds") == 0
    assert value(series, "drillquiz_backup_last_success_age_seconds") == math.inf
    assert value(series, "drillquiz_restore_drill_last_age_seconds") == math.inf
    assert value(series, "drillquiz_restore_drill_last_ok") is None  # no drill, nothing to say
    assert value(series, "drillquiz_dead_letters_last_hour") == 0
    for source in ("database", "broker", "cache"):
        assert value(series, "drillquiz_metrics_source_up", source=source) == 1


def test_the_gauges_say_what_the_outbox_backups_and_task_results_hold() -> None:
    pending_jobs(3, timedelta(minutes=10))
    pending_jobs(2, timedelta(seconds=5))
    OutboxMessage.objects.filter(task_id="metrics-0:00:05-0").update(sent=timezone.now())
    backup(status="succeeded", finished=timezone.now() - timedelta(hours=2))
    backup(status="succeeded", finished=timezone.now() - timedelta(hours=30), drilled=timezone.now(), drill_ok=False)
    backup(status="failed", finished=timezone.now() - timedelta(minutes=1))
    failed_task(timedelta(minutes=10))
    failed_task(timedelta(minutes=20))
    failed_task(timedelta(hours=2))
    failed_task(timedelta(minutes=5), status=states.SUCCESS)

    series = scrape()

    assert value(series, "drillquiz_outbox_pending") == 4
    assert 600 <= (value(series, "drillquiz_outbox_oldest_age_seconds") or 0) < 660
    assert 7200 <= (value(series, "drillquiz_backup_last_success_age_seconds") or 0) < 7260
    assert 0 <= (value(series, "drillquiz_restore_drill_last_age_seconds") or -1) < 60
    assert value(series, "drillquiz_restore_drill_last_ok") == 0
    assert value(series, "drillquiz_dead_letters_last_hour") == 2


def test_messages_waiting_are_counted_per_queue() -> None:
    with outbox.broker_connection() as broker:
        for queue in ("translations", "default"):
            with broker.channel() as channel:
                channel.queue_purge(queue)  # type: ignore[attr-defined]
        for _ in range(3):
            current_app.send_task("jobs.tasks.ping", args=["metrics"], queue="translations", connection=broker)
    try:
        series = scrape()
    finally:
        with outbox.broker_connection() as broker, broker.channel() as channel:
            channel.queue_purge("translations")  # type: ignore[attr-defined]

    assert value(series, "drillquiz_queue_messages", queue="translations") == 3
    assert value(series, "drillquiz_queue_messages", queue="default") == 0
    assert value(series, "drillquiz_queue_messages", queue="backups") is not None


def test_the_beat_heartbeat_age_runs_on_the_key_the_leading_beat_refreshes() -> None:
    client = redis_client()
    assert client is not None
    client.delete(HEARTBEAT_KEY)
    missing = value(scrape(), "drillquiz_beat_heartbeat_age_seconds")
    client.set(HEARTBEAT_KEY, "1", ex=HEARTBEAT_KEY_SECONDS - 40)
    recent = value(scrape(), "drillquiz_beat_heartbeat_age_seconds")

    assert missing == math.inf
    assert recent is not None and 40 <= recent < 45


def test_a_scrape_costs_the_same_few_queries_however_large_the_tables_grow() -> None:
    pending_jobs(2, timedelta(minutes=1))
    failed_task(timedelta(minutes=1))
    with CaptureQueriesContext(connection) as small:
        from_database()
    pending_jobs(500, timedelta(minutes=2))
    for _ in range(50):
        failed_task(timedelta(minutes=3))
    for hours in range(10):
        backup(status="succeeded", finished=timezone.now() - timedelta(hours=hours), drilled=timezone.now())
    with CaptureQueriesContext(connection) as large:
        from_database()

    assert len(small.captured_queries) == len(large.captured_queries) == 5
    counts = [query["sql"] for query in large.captured_queries if "COUNT(" in query["sql"].upper()]
    # Counts stop at a limit: a backlog of millions costs no more than one of ten thousand.
    assert counts and all("LIMIT" in sql.upper() for sql in counts)
