import logging
import socket

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def ping(note: str = "") -> dict[str, str]:
    """A diagnostic job: answers with the worker's host name (and the note it was given), proving
    the queue path works."""
    host = socket.gethostname()
    logger.info("pong from %s", host)
    return {"pong": host, "note": str(note)}
