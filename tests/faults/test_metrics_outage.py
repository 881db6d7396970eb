"""A scrape during a Redis or PostgreSQL outage answers in time: the gauges of what is down are left
out (unknown) and drillquiz_metrics_source_up says which; they come back with the service."""

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.faults.conftest import PrivatePostgres, PrivateRedis
from tests.monitoring.scrape import Series, of_url, value
from tests.processes import free_port, process_env, running, wait_until

TIMEOUT = 2.0  # METRICS_SOURCE_TIMEOUT_SECONDS of the exporter here
DATABASE_GAUGES = ("drillquiz_outbox_pending", "drillquiz_backup_last_success_age_seconds")


@contextmanager
def exporter(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    env = {**env, "METRICS_SOURCE_TIMEOUT_SECONDS": str(TIMEOUT)}
    with running([sys.executable, "manage.py", "serve_metrics", "--port", str(port)], env, log):
        url = f"http://127.0.0.1:{port}/metrics"
        wait_until(lambda: answers(url), 30, "the exporter")
        yield url


def answers(url: str) -> bool:
    try:
        of_url(url, timeout=5)
    except OSError:
        return False
    return True


def timed_scrape(url: str) -> tuple[Series, float]:
    started = time.monotonic()
    series = of_url(url, timeout=30)
    return series, time.monotonic() - started


def up(series: Series) -> dict[str, float | None]:
    return {name: value(series, "drillquiz_metrics_source_up", source=name) for name in ("database", "broker", "cache")}


def test_a_scrape_while_redis_is_down_or_hung_answers_with_the_broker_and_cache_unknown(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    with exporter(private_redis.env(), tmp_path / "exporter.log") as url:
        before, _ = timed_scrape(url)
        private_redis.stop()
        down, down_seconds = timed_scrape(url)
        private_redis.start()
        assert private_redis.process is not None
        os.kill(private_redis.process.pid, signal.SIGSTOP)  # accepts connections, answers nothing
        try:
            hung, hung_seconds = timed_scrape(url)
            again, again_seconds = timed_scrape(url)  # the hung reading is not asked again meanwhile
        finally:
            os.kill(private_redis.process.pid, signal.SIGCONT)
        wait_until(lambda: up(of_url(url)) == {"database": 1, "broker": 1, "cache": 1}, 30, "Redis to be read again")

    assert up(before) == {"database": 1, "broker": 1, "cache": 1}
    for series, seconds in ((down, down_seconds), (hung, hung_seconds), (again, again_seconds)):
        assert up(series) == {"database": 1, "broker": 0, "cache": 0}
        assert seconds < TIMEOUT + 1.5
        assert value(series, "drillquiz_queue_messages", queue="default") is None
        assert value(series, "drillquiz_beat_heartbeat_age_seconds") is None
        assert value(series, "drillquiz_outbox_pending") is not None


def test_a_scrape_while_postgresql_is_down_answers_with_the_database_gauges_unknown(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    with exporter(process_env(), tmp_path / "exporter.log") as url:
        before, _ = timed_scrape(url)
        private_postgres.stop()
        try:
            down, seconds = timed_scrape(url)
        finally:
            private_postgres.start()
        wait_until(lambda: up(of_url(url))["database"] == 1, 30, "the database to be read again")

    assert up(before) == {"database": 1, "broker": 1, "cache": 1}
    assert up(down) == {"database": 0, "broker": 1, "cache": 1}
    assert seconds < TIMEOUT + 1.5
    assert all(value(down, name) is None for name in DATABASE_GAUGES)
    assert value(down, "drillquiz_queue_messages", queue="default") is not None
