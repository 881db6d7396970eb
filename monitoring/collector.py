"""The exporter's gauges: what no peer reports (Flower has workers and task events, django-prometheus
the web's requests), read at each scrape from the database, the broker and the cache's Redis.

Each source is read in a thread of its own with a deadline (METRICS_SOURCE_TIMEOUT_SECONDS): one that
is down or slow leaves its gauges out and `drillquiz_metrics_source_up{source}` at 0 ("unknown"),
and the scrape still answers in time. A source still hanging from an earlier scrape is not asked
again until it returns, so an outage never piles up threads. Every query is bounded: the same few
per scrape however large the tables grow (tests/monitoring counts them).
"""

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backup.services import last_outcomes
from drillquiz.beat import heartbeat_age
from jobs import outbox
from jobs.services import failed_since

logger = logging.getLogger(__name__)

DEAD_LETTER_WINDOW = timedelta(hours=1)


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def age(moment: datetime | None) -> float:
    """Seconds since moment; infinite when it never happened (an alert on a large age fires)."""
    return (timezone.now() - moment).total_seconds() if moment is not None else math.inf


def from_database() -> list[Metric]:
    try:
        backlog = outbox.backlog()
        backups = last_outcomes()
        dead_letters = failed_since(timezone.now() - DEAD_LETTER_WINDOW)
    finally:
        connections.close_all()  # this thread's connection: the next scrape connects afresh after a restart
    metrics: list[Metric] = [
        gauge(
            "drillquiz_outbox_pending",
            f"Jobs in the outbox not yet taken by the broker (counted up to {outbox.BACKLOG_COUNT_LIMIT}).",
            backlog["pending"],
        ),
        gauge(
            "drillquiz_outbox_oldest_age_seconds",
            "Age of the oldest job the broker has not taken yet (0 when none waits).",
            backlog["oldest_seconds"],
        ),
        gauge(
            "drillquiz_backup_last_success_age_seconds",
            "Seconds since the newest successful backup finished (+Inf: none).",
            age(backups["succeeded"]),
        ),
        gauge(
            "drillquiz_restore_drill_last_age_seconds",
            "Seconds since the last restore drill (+Inf: none).",
            age(backups["drilled"]),
        ),
        gauge(
            "drillquiz_dead_letters_last_hour",
            "Tasks that failed for good in the last hour (dead letters), as their results record them.",
            dead_letters,
        ),
    ]
    if backups["drill_ok"] is not None:
        metrics.append(
            gauge(
                "drillquiz_restore_drill_last_ok",
                "1 if the last restore drill restored the newest backup with every row count matching, else 0.",
                1 if backups["drill_ok"] else 0,
            )
        )
    return metrics


def from_broker() -> list[Metric]:
    waiting = GaugeMetricFamily(
        "drillquiz_queue_messages", "Task messages waiting in each queue (not those a worker holds).", labels=["queue"]
    )
    with outbox.broker_connection() as connection:
        for queue in settings.CELERY_TASK_QUEUES:
            waiting.add_metric([queue.name], outbox.queued(connection, queue.name))
    return [waiting]


def from_cache() -> list[Metric]:
    return [
        gauge(
            "drillquiz_beat_heartbeat_age_seconds",
            "Seconds since the leading beat last held its lock (+Inf: no beat has led for a day).",
            heartbeat_age(settings.METRICS_SOURCE_TIMEOUT_SECONDS),
        )
    ]


SOURCES: dict[str, Callable[[], list[Metric]]] = {
    "database": from_database,
    "broker": from_broker,
    "cache": from_cache,
}


class DrillQuizCollector(Collector):
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(max_workers=len(SOURCES), thread_name_prefix="metrics")
        self.reading: dict[str, Future[list[Metric]]] = {}

    def describe(self) -> Iterable[Metric]:
        return []  # without this, registering would read every source once

    def collect(self) -> Iterator[Metric]:
        for name, read in SOURCES.items():
            earlier = self.reading.get(name)
            if earlier is None or earlier.done():
                self.reading[name] = self.pool.submit(read)
        wait(self.reading.values(), timeout=self.timeout)
        up = GaugeMetricFamily(
            "drillquiz_metrics_source_up",
            "1 if the source answered this scrape; 0 means its gauges are unknown (left out).",
            labels=["source"],
        )
        for name, reading in self.reading.items():
            if not reading.done():
                logger.warning("metrics source %s did not answer within %g s", name, self.timeout)
            elif reading.exception() is not None:
                logger.warning("metrics source %s failed: %r", name, reading.exception())
            else:
                yield from reading.result()
                up.add_metric([name], 1)
                continue
            up.add_metric([name], 0)
        yield up
