"""The no-op job of bench/jobs_latency.py, loaded by that benchmark's worker only (`--include noop_tasks`)."""

import time

from celery import shared_task


@shared_task
def noop() -> float:
    """Does nothing but say when its body started (time.time(), comparable across processes)."""
    return time.time()
