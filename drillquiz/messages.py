"""Task messages are JSON of at most TASK_MESSAGE_MAX_BYTES, refused before any task body sees them.

kombu's own "json" serializer is replaced by one with a size check both ways. A worker that receives
a larger message (a forged one: our outbox never writes one) fails to decode it, so Celery logs it
once and acknowledges it, and no task body runs; a sender that tries to make one gets
MessageTooLarge at once. drillquiz/celery.py imports this module, so web, worker and beat agree.
"""

from typing import Any

from django.conf import settings
from kombu.serialization import register
from kombu.utils import json


class MessageTooLarge(ValueError):
    """A task message over TASK_MESSAGE_MAX_BYTES."""


def check_size(data: bytes | str) -> None:
    limit = settings.TASK_MESSAGE_MAX_BYTES
    if len(data) > limit:
        raise MessageTooLarge(f"a task message of {len(data)} bytes is over the limit of {limit} bytes")


def dumps(value: Any) -> str:
    data = json.dumps(value)
    check_size(data)
    return data


def loads(data: bytes | str) -> Any:
    check_size(data)  # before parsing: parsing a huge message is the work the limit is there to avoid
    return json.loads(data)


register("json", dumps, loads, content_type="application/json", content_encoding="utf-8")
