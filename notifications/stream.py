"""Live delivery of notifications to open pages (Server-Sent Events).

Publishing: after the notification rows commit, one Redis PUBLISH per notification (pipelined) on
the site's channel.
Receiving: each web process runs ONE hub task: with Redis, a single subscription to that channel;
without Redis (the embedded default), one database query every few seconds for all of the
process's open streams. The hub hands each event to the open streams of its user, which wait on
an asyncio queue: an idle stream holds no thread and no database connection.
Opening: one trip to the process's shared sync thread looks up the session, then the session's user
and the first replay batch together (two queries); that thread keeps its one database connection
from stream to stream (it serves no request of Django's handler, so no request signal closes it),
the process's only one for streams.
"""

import asyncio
import json
import logging
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from functools import cache
from typing import Any

import redis
import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import FilteredRelation, Max, Q
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from notifications.models import Notification

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
POLL_SECONDS = 2  # the embedded default's database poll, shared by all streams of a process
REPLAY_LIMIT = 200
QUEUE_SIZE = 100  # a stream further behind than this resynchronises from the database
RESYNC = {"resync": True}
EVENT_FIELDS = ("id", "level", "title", "body", "link", "created")
# The backend whose users an opening stream looks up itself (lookup() says how); any other takes
# Django's own auth.get_user.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def event(user_id: int, values: Iterable[Any]) -> dict[str, Any]:
    """A notification as the streams carry it, from its EVENT_FIELDS' values."""
    data = dict(zip(EVENT_FIELDS, values, strict=True))
    data["user"] = user_id
    data["created"] = data["created"].isoformat()
    return data


def event_data(notification: Notification) -> dict[str, Any]:
    return event(notification.user_id, (getattr(notification, name) for name in EVENT_FIELDS))


def channel() -> str:
    """The site's channel: Redis pub/sub ignores database numbers, so sites (or test runs) sharing a
    Redis server must not share a channel; user ids would collide. The database names the site."""
    return f"drillquiz:notifications:{settings.DATABASES['default']['NAME']}"


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.EVENTS_REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def publish(notifications: Iterable[Notification]) -> None:
    """Announce committed notifications to the open pages; a Redis failure is logged, never raised
    (the page catches up from the database when its stream reconnects)."""
    if not settings.EVENTS_REDIS_URL:
        return  # the hubs poll the database
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            for notification in notifications:
                pipe.publish(channel(), json.dumps(event_data(notification)))
            pipe.execute()
    except redis.RedisError as error:
        logger.warning("live notification publish failed (%s); pages catch up on reconnect", type(error).__name__)


class Hub:
    """One per web process: fans events out to the queues of the open streams, by user."""

    def __init__(self) -> None:
        # Weak sets, so a stream whose response was never sent (the client went first, say) leaves
        # no queue behind: its generator never started, so its `finally` never runs.
        self.listeners: dict[int, weakref.WeakSet[asyncio.Queue[dict[str, Any]]]] = defaultdict(weakref.WeakSet)
        # Streams still opening, whose user is not known yet: they hear every event (and keep only
        # their user's).
        self.opening: weakref.WeakSet[asyncio.Queue[dict[str, Any]]] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None
        # Set once the hub receives (subscribed to Redis, or knows where the database poll starts):
        # a stream replays from the database only then, so no event falls between replay and live.
        self.ready = asyncio.Event()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue for a stream that is opening: it hears everyone until claim() names its user."""
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.opening.add(queue)
        return queue

    def claim(self, user_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.opening.discard(queue)
        self.listeners[user_id].add(queue)

    def unsubscribe(self, user_id: int | None, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.opening.discard(queue)
        if user_id in self.listeners:
            self.listeners[user_id].discard(queue)
            if not self.listeners[user_id]:
                del self.listeners[user_id]

    def dispatch(self, event: dict[str, Any]) -> None:
        for queue in [*self.listeners.get(event["user"], ()), *self.opening]:
            deliver(queue, event)

    def dispatch_raw(self, data: bytes) -> None:
        """One published message; a malformed one is logged and skipped, never fatal to the hub."""
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not all(isinstance(event.get(key), int) for key in ("id", "user")):
            logger.warning("live notifications skipped a malformed message")
            return
        self.dispatch(event)

    def resync_all(self) -> None:
        for queues in [*self.listeners.values(), list(self.opening)]:
            for queue in queues:
                deliver(queue, RESYNC)

    async def run(self) -> None:
        if settings.EVENTS_REDIS_URL:
            await self.listen_to_redis()
        else:
            await self.poll_database()

    async def listen_to_redis(self) -> None:
        first = True
        while True:
            client = redis.asyncio.Redis.from_url(settings.EVENTS_REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel())
                    self.ready.set()
                    if not first:
                        self.resync_all()  # events published while we were away are in the database
                    first = False
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self.dispatch_raw(message["data"])
            except (redis.RedisError, OSError) as error:
                logger.warning("live notifications lost Redis (%s); reconnecting", type(error).__name__)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    async def poll_database(self) -> None:
        newest = await sync_to_async(newest_id)()
        self.ready.set()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self.listeners:
                continue
            for event in await sync_to_async(events_after)(newest, list(self.listeners)):
                newest = max(newest, event["id"])
                self.dispatch(event)


def deliver(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:
        queue.get_nowait()  # drop the oldest and ask the stream to re-read from the database
        queue.put_nowait(RESYNC)


def newest_id() -> int:
    drop_broken_connection()
    return Notification.objects.aggregate(newest=Max("pk"))["newest"] or 0


def events_after(newest: int, user_ids: list[int]) -> list[dict[str, Any]]:
    drop_broken_connection()
    rows = Notification.objects.filter(pk__gt=newest, user_id__in=user_ids).order_by("pk")
    return [event(user_id, values) for user_id, *values in rows.values_list("user_id", *EVENT_FIELDS)]


def missed(user_id: int, after: int) -> list[dict[str, Any]]:
    """The user's notifications after an event id, oldest first (the replay on reconnect)."""
    drop_broken_connection()
    rows = Notification.objects.filter(user_id=user_id, pk__gt=after).order_by("pk")[:REPLAY_LIMIT]
    return [event(user_id, values) for values in rows.values_list(*EVENT_FIELDS)]


def drop_broken_connection() -> None:
    """The streams' thread keeps its connection: after a database error (PostgreSQL restarted, say),
    check it and drop it if it is broken, so this query connects afresh."""
    if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
        connection.close()


def lookup(request: HttpRequest, after: int) -> tuple[int, list[dict[str, Any]]] | None:
    """An opening stream's trip to the database: the request's session (Django's session store, one
    query), then its user and the first REPLAY_LIMIT notifications it missed, in one query.

    The user is checked as Django's auth.get_user checks a ModelBackend session: the user exists and
    is active, and the session holds the HMAC of their current password (under SECRET_KEY or one of
    SECRET_KEY_FALLBACKS). Where Django would rotate or flush the session, the stream only refuses or
    opens; the next page does the rest. A session of any other backend takes auth.get_user itself.
    """
    drop_broken_connection()
    user_model = auth.get_user_model()
    try:
        user_id = user_model._meta.pk.to_python(request.session[auth.SESSION_KEY])
        backend = request.session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    if backend != MODEL_BACKEND:
        user = auth.get_user(request)
        return (user.pk, missed(user.pk, after)) if user.is_authenticated else None
    rows = list(
        user_model._default_manager.filter(pk=user_id, is_active=True)
        .annotate(missed=FilteredRelation("notifications", condition=Q(notifications__pk__gt=after)))
        .values_list("password", *(f"missed__{name}" for name in EVENT_FIELDS))
        .order_by("missed__id")[:REPLAY_LIMIT]
    )
    if not rows or not holds_password_hash(request, user_model(pk=user_id, password=rows[0][0])):
        return None
    return user_id, [event(user_id, values) for _password, *values in rows if values[0] is not None]


def holds_password_hash(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether the session was made with the user's current password (auth.get_user's check)."""
    session_hash = request.session.get(auth.HASH_SESSION_KEY)
    if not session_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, known) for known in hashes)


hub = Hub()


async def replay(user_id: int, after: int, first: list[dict[str, Any]] | None = None) -> AsyncIterator[dict[str, Any]]:
    """Everything the user missed after an event id, from the database, REPLAY_LIMIT rows a query
    (the first query's rows may be given)."""
    batch = first if first is not None else await sync_to_async(missed)(user_id, after)
    while True:
        for event in batch:
            yield event
        if len(batch) < REPLAY_LIMIT:
            return
        after = batch[-1]["id"]
        batch = await sync_to_async(missed)(user_id, after)


async def once(event: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield event


def sse(event: dict[str, Any]) -> str:
    data = {key: value for key, value in event.items() if key != "user"}
    return f"id: {event['id']}\nevent: notification\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def open_stream(request: HttpRequest, after: int) -> AsyncIterator[str] | None:
    """The SSE stream of the request's logged-in user from an event id on (None for no user): first
    what was missed, then live events.

    It subscribes before it reads the database, and skips ids it already sent, so an event that
    lands between the two is sent once, never lost.
    """
    if request.session.session_key is None:
        return None  # no session cookie: no one to look up
    queue = hub.subscribe()
    try:
        if not hub.ready.is_set():
            try:
                await asyncio.wait_for(hub.ready.wait(), 5)
            except TimeoutError:
                logger.warning("live notifications not ready (Redis down?); this stream resyncs when they are")
        found = await sync_to_async(lookup)(request, after)
    except BaseException:
        hub.unsubscribe(None, queue)
        raise
    if found is None:
        hub.unsubscribe(None, queue)
        return None
    user_id, first = found
    hub.claim(user_id, queue)
    return events(user_id, queue, after, first)


async def events(
    user_id: int, queue: asyncio.Queue[dict[str, Any]], after: int, first: list[dict[str, Any]]
) -> AsyncIterator[str]:
    try:
        yield "retry: 3000\n: connected\n\n"
        sent = after
        async for event in replay(user_id, sent, first):
            yield sse(event)
            sent = event["id"]
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if event is not RESYNC and event["user"] != user_id:
                continue  # heard while the stream was opening, for someone else
            batch = replay(user_id, sent) if event is RESYNC else once(event)
            async for item in batch:
                if item["id"] > sent:
                    yield sse(item)
                    sent = item["id"]
    finally:
        hub.unsubscribe(user_id, queue)
