from datetime import timedelta
from typing import Any

from celery.signals import worker_ready

from jobs import outbox


@worker_ready.connect
def relay_outbox_at_worker_start(**kwargs: Any) -> None:
    """A worker that starts (after an outage, a deploy) first publishes what the outbox holds."""
    outbox.relay(older_than=timedelta(0))  # all of it: a duplicate of an in-flight publish is harmless
