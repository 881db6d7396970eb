"""The live stream: only one's own notifications, only logged in, and a reconnect misses nothing."""

import http.client
import json
import queue
import socket
import threading
from collections.abc import Iterator, Mapping
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import AsyncClient, Client, RequestFactory
from pytest_django import Settings

from accounts.models import User
from notifications import services, stream
from notifications.models import Level, Notification
from notifications.views import last_event_id
from tests.factories import make_user
from tests.processes import WebServer

# What the middleware adds to every response, the stream's included.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
)


class Stream:
    """An open SSE connection read by a thread: its events (id, data) arrive on a queue."""

    def __init__(self, server: WebServer, user: User, last_event_id: int | None = None) -> None:
        client = Client()
        client.force_login(user)
        headers = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.connection.request("GET", "/notifications/stream", headers=headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.events: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self.connected = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()
        assert self.connected.wait(10), "the stream never said it was connected"

    def read(self) -> None:
        event_id, data = None, None
        try:
            for raw in iter(self.response.readline, b""):
                line = raw.decode().rstrip("\r\n")
                if line == ": connected":
                    self.connected.set()
                elif line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and event_id is not None and data is not None:
                    self.events.put((event_id, data))
                    event_id, data = None, None
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # the test closed the connection under the reading thread

    def next(self, timeout: float = 5) -> tuple[int, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        if self.connection.sock is not None:
            self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for one in opened:
        one.close()


def test_a_logged_out_visitor_gets_no_stream(client: Client, db: None) -> None:
    response = client.get("/notifications/stream")

    assert response.status_code == 401
    assert response.json() == {"error": "Log in to receive notifications."}


@pytest.mark.parametrize("cookie", ["", "sessionid=no-such-session"])
def test_the_web_process_refuses_a_stream_without_a_logged_in_session(web_server: WebServer, cookie: str) -> None:
    web = http.client.HTTPConnection("127.0.0.1", web_server.port, timeout=10)
    web.request("GET", "/notifications/stream", headers={"Cookie": cookie} if cookie else {})
    response = web.getresponse()

    assert response.status == 401
    assert json.loads(response.read()) == {"error": "Log in to receive notifications."}
    web.close()


def streamed_user(client: Client) -> int | None:
    """Whose stream the client's session opens (notifications.stream.lookup, as both handlers call it)."""
    request = RequestFactory().get("/notifications/stream")
    request.session = SessionStore(client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    found = stream.lookup(request, 0)
    return None if found is None else found[0]


@pytest.mark.parametrize("change", ["deactivated", "password changed", "deleted"])
def test_a_session_whose_user_may_no_longer_log_in_gets_no_stream(client: Client, learner: User, change: str) -> None:
    client.force_login(learner)
    assert streamed_user(client) == learner.pk

    if change == "deactivated":
        User.objects.filter(pk=learner.pk).update(is_active=False)
    elif change == "password changed":
        learner.set_password("a new password, from another device")
        learner.save()
    else:
        learner.delete()

    assert streamed_user(client) is None


def test_a_session_signed_with_a_retired_secret_key_in_the_fallbacks_still_streams(
    client: Client, learner: User, settings: Settings
) -> None:
    client.force_login(learner)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key, rotated after the login " * 2

    assert streamed_user(client) == learner.pk
    settings.SECRET_KEY_FALLBACKS = []
    assert streamed_user(client) is None


def test_a_session_of_another_backend_is_checked_by_djangos_own_lookup(
    client: Client, learner: User, settings: Settings
) -> None:
    allow_inactive = "django.contrib.auth.backends.AllowAllUsersModelBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, allow_inactive]
    client.force_login(learner, backend=allow_inactive)
    User.objects.filter(pk=learner.pk).update(is_active=False)

    assert streamed_user(client) == learner.pk  # that backend lets inactive users in; so does its stream
    settings.AUTHENTICATION_BACKENDS = settings.AUTHENTICATION_BACKENDS[:-1]
    assert streamed_user(client) is None


def security_headers(headers: Mapping[str, str] | Message) -> dict[str, str | None]:
    """The security headers; the policy's directives sorted (their order differs between processes)."""
    found = {name: headers.get(name) for name in SECURITY_HEADERS}
    policy = found["Content-Security-Policy"]
    if policy is not None:
        found["Content-Security-Policy"] = "; ".join(sorted(part.strip() for part in policy.split(";")))
    return found


async def headers_through_djangos_handler(user: User) -> dict[str, str | None]:
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/notifications/stream")
    assert isinstance(response, StreamingHttpResponse)
    await response.streaming_content.aclose()
    return security_headers(response.headers)


def test_the_web_process_sends_the_stream_with_the_headers_djangos_handler_adds(
    web_server: WebServer, streams: list[Stream], learner: User
) -> None:
    streams.append(Stream(web_server, learner))
    through_django = async_to_sync(headers_through_djangos_handler)(learner)

    served = security_headers(streams[0].response.headers)
    assert served == through_django
    assert None not in served.values()
    assert streams[0].response.headers["Content-Type"].startswith("text/event-stream")


def test_each_user_receives_only_their_own_notifications(web_server: WebServer, streams: list[Stream]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    streams += [Stream(web_server, alice), Stream(web_server, bob)]

    (note,) = services.notify_users([alice.pk], Level.SUCCESS, "Your backfill finished", link="/exams/")

    event_id, data = streams[0].next()
    assert event_id == note.pk
    assert data == {
        "id": note.pk,
        "level": "success",
        "title": "Your backfill finished",
        "body": "",
        "link": "/exams/",
        "created": note.created.isoformat(),
    }
    assert streams[1].nothing_within(1.5)


def test_a_reconnect_with_last_event_id_replays_what_was_missed_then_goes_live_once(
    web_server: WebServer, streams: list[Stream]
) -> None:
    alice = make_user("alice")
    first, second, third = (services.notify_users([alice.pk], Level.INFO, f"note {n}")[0] for n in range(3))

    streams.append(Stream(web_server, alice, last_event_id=first.pk))
    (fourth,) = services.notify_users([alice.pk], Level.INFO, "note 3")

    received = [streams[0].next()[0] for _ in range(3)]
    assert received == [second.pk, third.pk, fourth.pk]
    assert streams[0].nothing_within(1)


def test_without_redis_the_stream_still_works_by_polling_the_database(
    transactional_db: None, tmp_path: Path, streams: list[Stream]
) -> None:
    server = WebServer(tmp_path / "web.log", EVENTS_REDIS_URL="")
    server.start()
    try:
        alice = make_user("alice")
        streams.append(Stream(server, alice))

        (note,) = services.notify_users([alice.pk], Level.INFO, "polled")

        assert streams[0].next(timeout=6)[0] == note.pk
    finally:
        server.stop()


def test_users_mark_only_their_own_notifications_read(client: Client, learner: User, other_learner: User) -> None:
    (mine,) = services.notify_users([learner.pk], Level.INFO, "mine")
    (theirs,) = services.notify_users([other_learner.pk], Level.INFO, "theirs")
    client.force_login(learner)

    assert client.post(f"/notifications/{theirs.pk}/read").status_code == 404
    answer = client.post(f"/notifications/{mine.pk}/read", HTTP_ACCEPT="application/json")
    assert answer.json() == {"unread": 0}
    services.notify_users([learner.pk, other_learner.pk], Level.INFO, "both")
    client.post("/notifications/read-all")

    assert list(Notification.objects.filter(read=False).values_list("title", flat=True).order_by("title")) == [
        "both",
        "theirs",
    ]
    assert Notification.objects.get(pk=theirs.pk).read is False


def test_the_bell_shows_the_unread_count_and_the_list_page_all(client: Client, learner: User) -> None:
    services.notify_users([learner.pk], Level.WARNING, "Disk almost full")
    client.force_login(learner)

    home = client.get("/").content.decode()
    listing = client.get("/notifications/").content.decode()

    assert 'id="bell-count">1</span>' in home
    assert "Disk almost full" in home
    assert "Disk almost full" in listing
    assert "Mark all read" in listing


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no thread count")


def database_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_open_streams_hold_no_thread_and_no_database_connection_each(
    web_server: WebServer, streams: list[Stream], learner: User
) -> None:
    assert web_server.process is not None
    Stream(web_server, learner).close()  # the process's shared pieces (hub, sync thread) now exist
    threads, connections = threads_of(web_server.process.pid), database_connections()

    streams.extend(Stream(web_server, learner) for _ in range(30))

    assert threads_of(web_server.process.pid) - threads <= 2
    assert database_connections() - connections <= 1
    services.notify_users([learner.pk], Level.INFO, "All thirty hear it")
    assert all(stream.next()[1]["title"] == "All thirty hear it" for stream in streams)


def test_a_malformed_message_on_the_channel_does_not_stop_the_streams(
    web_server: WebServer, streams: list[Stream], learner: User
) -> None:
    streams.append(Stream(web_server, learner))
    for garbage in (b"not json", b"[1, 2]", b'{"user": "x", "id": 1}'):
        stream.redis_client().publish(stream.channel(), garbage)

    services.notify_users([learner.pk], Level.INFO, "Still here")

    assert streams[0].next()[1]["title"] == "Still here"


def test_a_reconnect_replays_more_than_one_query_of_missed_notifications(
    web_server: WebServer, streams: list[Stream], learner: User
) -> None:
    missed = stream.REPLAY_LIMIT + 30
    Notification.objects.bulk_create(Notification(user=learner, title=f"missed {n}") for n in range(missed))

    streams.append(Stream(web_server, learner, last_event_id=0))

    titles = [streams[0].next()[1]["title"] for _ in range(missed)]
    assert titles == [f"missed {n}" for n in range(missed)]
    assert streams[0].nothing_within(0.5)


@pytest.mark.parametrize("header", ["²", "9" * 5000, "-1", "12abc"])
def test_a_last_event_id_that_is_not_a_plain_id_replays_from_the_start(header: str) -> None:
    request = RequestFactory().get("/notifications/stream", headers={"Last-Event-ID": header})

    assert last_event_id(request) == 0
    assert last_event_id(RequestFactory().get("/notifications/stream", headers={"Last-Event-ID": "42"})) == 42
