"""Retry timing shared by tasks that talk to the outside world."""

import random
from typing import Any

from celery import Task
from celery.exceptions import Retry


def backoff_seconds(retries: int, base: float, cap: float = 600) -> float:
    """Exponential back-off with full jitter: a random wait up to base * 2**retries, at most cap.

    The jitter spreads retries of many tasks that failed together (a mail server restart).
    """
    return random.uniform(0, min(cap, base * 2**retries))  # noqa: S311 - timing, not security


def retry_with_backoff(
    task: Task[Any, Any], error: Exception, base_seconds: float, after: float | None = None
) -> Retry:
    """The Retry to raise from a bound task: after `after` seconds if the other side said so,
    else after a jittered exponential back-off. Raises MaxRetriesExceededError past max_retries."""
    delay = after if after is not None else backoff_seconds(task.request.retries, base_seconds)
    return task.retry(exc=error, countdown=delay)
