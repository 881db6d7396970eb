import logging
import socket

from celery import shared_task

from jobs import outbox

logger = logging.getLogger(__name__)


@shared_task
def ping(note: str = "") -> dict[str, str]:
    """A diagnostic job: answers with the worker's host name (and the note it was given), proving
    the queue path works."""
    host = socket.gethostname()
    logger.info("pong from %s", host)
    return {"pong": host, "note": str(note)}


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def relay_outbox() -> int:
    """Every minute: publish the jobs the broker could not take when they were recorded."""
    return outbox.relay()
