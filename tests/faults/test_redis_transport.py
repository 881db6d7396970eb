"""Our Redis transport (drillquiz/broker.py) against kombu's, at the moment a worker loses Redis
while it waits on BRPOP with a task in flight: celery's consumer then collects and closes the
connection, and kombu's transport raised AttributeError there, which stopped the worker."""

import socket
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Message, Queue

from drillquiz.broker import Transport
from drillquiz.celery import app
from tests.faults.conftest import PrivateRedis

OURS = "redis"  # the name our transport takes (drillquiz/broker.py)
QUEUE = Queue("work")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path, keep_data=True)
    server.start()
    yield server
    server.stop()


def connect(server: PrivateRedis, transport: str) -> Connection:
    return Connection(f"{server.url}/0", transport=transport, transport_options={"visibility_timeout": 1})


def receive(connection: Connection, received: list[Message], count: int) -> None:
    """Drain events until `count` messages have arrived (10 s at most), leaving them unacknowledged."""
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        with suppress(socket.timeout):
            connection.drain_events(timeout=0.2)
    assert len(received) == count


def lose_redis_while_waiting_on_brpop(server: PrivateRedis, transport: str) -> Connection:
    """The worker's state when Redis goes away: one task in flight, unacknowledged, on the default
    channel; BRPOP sent for the next; a broadcast queue on another channel (celery's control and
    gossip consumers). Then Redis stops, and comes back while celery collects the connection."""
    connection = connect(server, transport)
    connection.Producer().publish({"task": 1}, routing_key=QUEUE.name, declare=[QUEUE])
    in_flight: list[Message] = []
    consumer = connection.Consumer([QUEUE], callbacks=[lambda body, message: in_flight.append(message)])
    consumer.qos(prefetch_count=2)
    consumer.consume()
    broadcast = Queue("control", Exchange("control", type="fanout"), auto_delete=True)
    connection.Consumer([broadcast], channel=connection.channel(), callbacks=[lambda body, message: None]).consume()
    receive(connection, in_flight, 1)
    with suppress(socket.timeout):
        connection.drain_events(timeout=0.2)  # nothing more to get: BRPOP stays pending

    server.stop()
    with suppress(Exception):  # as celery's consumer does: whatever collecting raises is ignored
        connection.collect(socket_timeout=1)
    server.start()
    return connection


def test_kombus_transport_still_fails_to_close(redis_server: PrivateRedis) -> None:
    """When this fails, kombu has fixed the bug: delete drillquiz/broker.py."""
    connection = lose_redis_while_waiting_on_brpop(redis_server, "kombu.transport.redis:Transport")
    with pytest.raises(AttributeError, match="hostname"):
        connection.close()


def test_ours_closes_and_the_task_in_flight_comes_back_once(redis_server: PrivateRedis) -> None:
    connection = lose_redis_while_waiting_on_brpop(redis_server, OURS)
    connection.close()

    # Redis was down when the close tried to give the task back, so it is still marked as delivered;
    # past the visibility timeout another consumer gets it, once.
    time.sleep(1.5)
    with connect(redis_server, OURS) as heir:
        received: list[Message] = []
        with heir.Consumer([QUEUE], callbacks=[lambda body, message: received.append(message)]):
            receive(heir, received, 1)
            received[0].ack()
            with suppress(socket.timeout):
                heir.drain_events(timeout=1.5)
        assert [message.payload for message in received] == [{"task": 1}]


def test_the_site_uses_our_transport_under_the_name_redis() -> None:
    with app.connection() as connection:
        assert isinstance(connection.transport, Transport)
        assert connection.as_uri().startswith("redis://")  # as Flower's broker page needs it
