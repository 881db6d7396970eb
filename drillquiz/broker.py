"""kombu's Redis transport, with one fix: a worker survives Redis going away while it waits for work.

When Redis goes away, the worker closes its broker connection. kombu 5.7 closes a channel that is
waiting on BRPOP by reading that command's reply first. With Redis gone, that read raises, so the
channel's close stops before anything is released. Closing the connection's other channels stops the
same way, and the connection then drops its transport. Celery closes the connection a second time.
The half-closed channel now tries to give back its unacknowledged messages. It has to build a new
Redis connection pool for that, from a transport that is gone, and raises AttributeError ("'NoneType'
object has no attribute 'hostname'"). The worker exits with "Unrecoverable error" (see RELIABILITY.md).

Here a failed read of the pending reply is ignored, so the close always reaches its end. The
transport takes the names redis:// and rediss:// (drillquiz/celery.py imports this module first),
so URLs, Flower's broker page and the logs stay as they were.
tests/faults/test_redis_transport.py checks that the stock transport still has the bug: delete this
module when that test says kombu has fixed it.
"""

from collections.abc import Callable
from contextlib import suppress
from queue import Empty

from kombu.transport import TRANSPORT_ALIASES, redis


class Channel(redis.Channel):
    # kombu's own, left out of its type stubs
    _in_poll: object
    _brpop_read: Callable[[], bool]
    connection_errors: tuple[type[BaseException], ...]

    def close(self) -> None:
        if self._in_poll:
            with suppress(Empty, *self.connection_errors):  # nothing is waiting, or Redis is gone
                self._brpop_read()
        super().close()


class Transport(redis.Transport):
    Channel = Channel


TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = f"{__name__}:Transport"
