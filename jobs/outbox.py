"""The transactional outbox: jobs are rows first, messages second, so a broker outage loses none.

`record` writes the row in the caller's transaction; after commit `publish_committed` hands it to
the broker once, quickly (no publish retries on a request path), and marks it sent. `relay`
publishes what is still unsent: the periodic relay task and the catch-up when a worker starts call
it. A job may thus be published twice (sent, then the mark lost); our tasks are idempotent, so the
effect happens once.

The relay also publishes again a job the broker took but no worker ever started (`resend_lost`):
kombu's Redis transport takes a message off its list before the worker records it as unacknowledged,
so a worker killed in between loses it (1 of 4,877 jobs in the third soak run, RELIABILITY.md).
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django_celery_results.models import TaskResult
from kombu import Connection

from drillquiz.messages import dumps
from jobs.models import OutboxMessage

logger = logging.getLogger(__name__)

# The relay leaves younger rows to the publish that follows their commit.
RELAY_AFTER = timedelta(seconds=10)
RELAY_BATCH = 500
KEEP_SENT = timedelta(days=1)
CONNECT_SECONDS = 3
# A job sent this long ago that has not started while its queue is empty was lost on the way.
RESEND_AFTER = timedelta(minutes=10)
RESEND_WINDOW = timedelta(hours=1)
# Publish attempts of one job, the first included, after which it is not sent again as lost.
MAX_SENDS = 3
# The backlog is counted up to this many rows: past it, "that many or more" says enough.
BACKLOG_COUNT_LIMIT = 10_000


def record(
    task_name: str, args: list[Any], task_id: str | None = None, headers: dict[str, str] | None = None
) -> OutboxMessage:
    """Write the job's row in the current transaction, to be published once it commits.

    Raises MessageTooLarge for arguments no worker would take, before anything is written.
    """
    dumps(args)
    message = OutboxMessage.objects.create(
        task_name=task_name, args=args, task_id=task_id or str(uuid.uuid4()), headers=headers or {}
    )
    transaction.on_commit(lambda: publish_committed(message), robust=True)
    return message


@contextmanager
def broker_connection() -> Iterator[Connection]:
    """One of the app's pooled broker connections, tried once: a caller must not wait out Celery's
    reconnect back-off. Kept open between jobs: a fresh one per job (and the queue declared again on
    it) cost 9.4-11.8 ms a job (BENCHMARKS.md, bench/jobs_latency.py); after a broker restart redis-py
    reconnects it on its next command."""
    with current_app.connection_or_acquire() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=CONNECT_SECONDS)
        yield connection


def publish_committed(message: OutboxMessage) -> None:
    """The publish right after the row's commit. The relay leaves a row alone until it is RELAY_AFTER
    old, so one younger than half that is sent without taking its row lock (a transaction and two round
    trips fewer before the broker has it); an older one, committed by a long transaction, goes through
    publish and its lock."""
    if timezone.now() - message.created < RELAY_AFTER / 2:
        send([message])
    else:
        publish([message.pk])


@transaction.atomic
def publish(ids: list[int]) -> int:
    """Send the unsent messages among ids (see send); returns how many the broker took.

    The rows stay locked while they are sent, so the publish after commit and a relay running at
    the same moment never both send one (a locked row is skipped: its publisher is on it).
    """
    messages = list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, sent__isnull=True)
        .order_by("created")
    )
    return send(messages)


def send(messages: list[OutboxMessage]) -> int:
    """Hand messages to the broker over one connection, each once (the relay retries), and mark the
    ones it took as sent; returns how many it took."""
    taken: list[int] = []
    try:
        with broker_connection() as connection:
            for message in messages:
                current_app.send_task(
                    message.task_name,
                    args=message.args,
                    task_id=message.task_id,
                    headers=message.headers or None,
                    connection=connection,
                    retry=False,
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
    """Publish the unsent jobs older than older_than, oldest first, and the lost ones again; returns
    how many were taken."""
    pending = OutboxMessage.objects.filter(sent__isnull=True, created__lte=timezone.now() - older_than)
    published = publish(list(pending.order_by("created").values_list("pk", flat=True)[:RELAY_BATCH]))
    published += resend_lost()
    OutboxMessage.objects.filter(sent__lt=timezone.now() - KEEP_SENT).delete()
    if published:
        logger.info("outbox relay published %d job(s)", published)
    return published


def resend_lost(older_than: timedelta = RESEND_AFTER) -> int:
    """Publish again the jobs sent more than older_than ago that no worker has started (no task
    result) although their queue is empty; returns how many the broker took. A job that was only
    slow still has its effect once: our tasks are idempotent."""
    started = TaskResult.objects.filter(task_id=OuterRef("task_id"))
    due = timezone.now() - older_than
    # A job lost longer ago than that was looked at before (each minute); the window keeps this cheap.
    stale = OutboxMessage.objects.filter(sent__range=(due - RESEND_WINDOW, due), attempts__lt=MAX_SENDS)
    candidates = list(stale.filter(~Exists(started)).values_list("pk", "task_name")[:RELAY_BATCH])
    candidates = [(pk, name) for pk, name in candidates if stores_result(name)]
    if not candidates:
        return 0
    try:
        with broker_connection() as connection:
            empty = {queue for queue in {queue_of(name) for _, name in candidates} if not queued(connection, queue)}
    except Exception as error:  # noqa: BLE001 - the next relay looks again
        logger.warning("could not look for lost jobs: %s", error)
        return 0
    lost = [pk for pk, name in candidates if queue_of(name) in empty]
    if lost:
        logger.warning("%d job(s) sent but never started, with their queue empty: sending them again", len(lost))
        OutboxMessage.objects.filter(pk__in=lost).update(sent=None)
    return publish(lost)


def stores_result(task_name: str) -> bool:
    """Whether a task leaves a result, the only sign that it started (not so for an unknown task)."""
    task = current_app.tasks.get(task_name)
    return task is not None and not task.ignore_result


def queue_of(task_name: str) -> str:
    return settings.CELERY_TASK_ROUTES.get(task_name, {}).get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)


def queued(connection: Connection, queue: str) -> int:
    """Messages waiting in queue (not those a worker holds)."""
    with connection.channel() as channel:
        try:
            waiting: int = channel.queue_declare(queue=queue, passive=True).message_count  # type: ignore[attr-defined]
            return waiting
        except connection.channel_errors:  # no such queue (Redis drops an empty list): nothing waits
            return 0


def backlog() -> dict[str, Any]:
    """How many jobs wait to be published (counted up to BACKLOG_COUNT_LIMIT), and the age of the
    oldest in seconds (for /readyz and the metrics exporter). Two queries on the pending index, each
    bounded however long an outage has made the backlog."""
    pending = OutboxMessage.objects.filter(sent__isnull=True)
    oldest = pending.order_by("created").values_list("created", flat=True).first()
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return {"pending": pending[:BACKLOG_COUNT_LIMIT].count(), "oldest_seconds": age}
