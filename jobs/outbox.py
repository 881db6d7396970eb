"""The transactional outbox: jobs are rows first, messages second, so a broker outage loses none.

`record` writes the row in the caller's transaction; after commit `publish` hands it to the broker
once, quickly (no publish retries on a request path), and marks it sent. `relay` publishes what is
still unsent: the periodic relay task and the catch-up when a worker starts call it. A job may thus
be published twice (sent, then the mark lost); our tasks are idempotent, so the effect happens once.
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu import Connection

from jobs.models import OutboxMessage

logger = logging.getLogger(__name__)

# The relay leaves younger rows to the publish that follows their commit.
RELAY_AFTER = timedelta(seconds=10)
RELAY_BATCH = 500
KEEP_SENT = timedelta(days=1)
CONNECT_SECONDS = 3


def record(task_name: str, args: list[Any], task_id: str | None = None) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task_name, args=args, task_id=task_id or str(uuid.uuid4()))
    transaction.on_commit(lambda: publish([message.pk]), robust=True)
    return message


@contextmanager
def broker_connection() -> Iterator[Connection]:
    """A connection to the broker, tried once: a caller must not wait out Celery's reconnect back-off."""
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=CONNECT_SECONDS)
        yield connection


@transaction.atomic
def publish(ids: list[int]) -> int:
    """Send the unsent messages among ids over one broker connection, each once (the relay retries),
    and mark the ones the broker took as sent; returns how many it took.

    The rows stay locked while they are sent, so the publish after commit and a relay running at
    the same moment never both send one (a locked row is skipped: its publisher is on it).
    """
    messages = list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, sent__isnull=True)
        .order_by("created")
    )
    taken: list[int] = []
    try:
        with broker_connection() as connection:
            for message in messages:
                current_app.send_task(
                    message.task_name, args=message.args, task_id=message.task_id, connection=connection, retry=False
                )
                taken.append(message.pk)
    except Exception as error:  # noqa: BLE001 - any broker failure leaves the jobs to the relay
        waiting = [message.pk for message in messages if message.pk not in taken]
        logger.warning("%d job(s) not published yet (%s); the relay will", len(waiting), error)
        OutboxMessage.objects.filter(pk__in=waiting).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
    OutboxMessage.objects.filter(pk__in=taken).update(sent=timezone.now(), attempts=F("attempts") + 1)
    return len(taken)


def relay(older_than: timedelta = RELAY_AFTER) -> int:
    """Publish the unsent jobs older than older_than, oldest first; returns how many were taken."""
    pending = OutboxMessage.objects.filter(sent__isnull=True, created__lte=timezone.now() - older_than)
    published = publish(list(pending.order_by("created").values_list("pk", flat=True)[:RELAY_BATCH]))
    OutboxMessage.objects.filter(sent__lt=timezone.now() - KEEP_SENT).delete()
    if published:
        logger.info("outbox relay published %d job(s)", published)
    return published


def backlog() -> dict[str, Any]:
    """How many jobs wait to be published, and the age of the oldest in seconds (for /readyz)."""
    pending = OutboxMessage.objects.filter(sent__isnull=True)
    oldest = pending.order_by("created").values_list("created", flat=True).first()
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return {"pending": pending.count(), "oldest_seconds": age}
