"""Live notification streams (Server-Sent Events): how fast one web process opens them, how many it
holds, and how fast.

--measure reconnect (the default): reconnect storms, `before` (the code of --before, exported with git
archive into a throwaway directory) and `ours` (this tree) side by side, a fresh web process each,
--clients at a time (2,000 and 10,000). Each run: one warm-up stream, then --storms storms. Before
each storm, notifications are written for the clients' users as if while they were away (0 to 2
each, and REPLAY_LIMIT + 30 for --long-replays users); then every client opens its stream at once
(--concurrency in flight) with the Last-Event-ID it last read (the page's ?since= for the first, as a
browser does), while a thread sends live notifications (real insert and publish, every --interval s;
not during the last storm). "opens/s" is clients over the seconds until every stream is open AND has
received every notification it missed before the storm began. After the last storm every user's ids
are checked against the database: missed, doubled and other users' ids must all be 0.

--measure hold: the level-by-level measure below.

Two designs, each served by ONE uvicorn process (one worker) against PostgreSQL (a database of its
own, drillquiz_bench_streams) and Redis, one after the other:
- ours: the project's `GET /notifications/stream` (notifications/stream.py), one Redis pub/sub
  subscription per process shared by all its open streams;
- polling: `polling_app` below (bench only, not project code), where each open stream queries the
  database for its user's new notifications every second, with sync_to_async(thread_sensitive=False)
  on the loop's default executor (6 threads on 2 cores), each thread keeping its database connection.
Both authenticate the same session cookie (the polling app reads the user id from the session, one
query at connect) and send the same SSE bytes (`stream.sse`).

A raw asyncio client in this process opens one stream per user, --batch at a time, checks each answers
200 and `: connected`, and adds streams level by level (--streams, each level on top of the last).
At each level: streams held (still open), the server's RSS (VmRSS) less its RSS after one warm-up
stream, per held stream, its threads and database connections; over a --window while the streams
idle, database transactions per second (pg_stat_database) and CPU (server process, whole machine);
then the latency from calling `notifications.services.notify` (one notification for a random user
with an open stream: the real insert and after-commit publish, from a thread of this process) to the
client reading that event's `id:` line, on this process's perf_counter. --events notifications at
--latency-streams, --probe-events at the other levels.

Usage: .venv/bin/python bench/streams.py  (or e.g. --clients 2000,10000 --storms 2; --measure hold --streams
1000,5000,10000 --latency-streams 1000 --events 200 --designs ours,polling). Progress goes to stderr, the
results table to stdout.
"""

import argparse
import asyncio
import contextlib
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import BENCH_ENV, ROOT, exported, setup_django

DATABASE = "drillquiz_bench_streams"
# The stream code before the one-lookup open (the `before` design of --measure reconnect).
BEFORE = "6b3c6d9"  # its own, so a benchmark started meanwhile cannot drop it

HOST = "127.0.0.1"
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


STARTED = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {text}", file=sys.stderr, flush=True)


# --- The per-stream polling design (served by uvicorn as `streams:polling_app`) -----------------

POLL_SECONDS = 1.0


def session_user(session_key: str) -> int | None:
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    user_id = SessionStore(session_key).get(SESSION_KEY)
    return int(user_id) if user_id else None


def poll(user_id: int, after: int) -> list[dict[str, Any]]:
    """One stream's poll: its user's notifications after an id (the thread keeps its connection)."""
    from notifications.models import Notification
    from notifications.stream import REPLAY_LIMIT, event_data

    rows = Notification.objects.filter(user_id=user_id, pk__gt=after).order_by("pk")[:REPLAY_LIMIT]
    return [event_data(row) for row in rows]


async def polling_app(scope: Message, receive: Receive, send: Send) -> None:
    """ASGI app: GET /notifications/stream?since=N with the session cookie; polls every second."""
    from asgiref.sync import sync_to_async

    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                import django

                django.setup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    from django.conf import settings

    from notifications.stream import sse

    if scope["path"] == "/healthz":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    cookies = dict(
        part.strip().split("=", 1)
        for name, value in scope["headers"]
        if name == b"cookie"
        for part in value.decode("latin1").split(";")
        if "=" in part
    )
    session_key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    user_id = await sync_to_async(session_user, thread_sensitive=False)(session_key) if session_key else None
    if user_id is None:
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
    after = int(query.get("since", "0"))
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"retry: 3000\n: connected\n\n", "more_body": True})
    while (await receive()).get("more_body"):
        pass  # a GET has an empty body; after it, the next message is the disconnect
    disconnect = asyncio.ensure_future(receive())
    try:
        while True:
            done, _ = await asyncio.wait({disconnect}, timeout=POLL_SECONDS)
            if done:
                return
            for event in await sync_to_async(poll, thread_sensitive=False)(user_id, after):
                await send({"type": "http.response.body", "body": sse(event).encode(), "more_body": True})
                after = event["id"]
    finally:
        disconnect.cancel()


# --- Users and sessions ------------------------------------------------------------------------


def make_users(count: int) -> list[tuple[int, str]]:
    """count users, each with a logged-in database session: [(user id, Cookie header value)]."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    password = make_password("bench-password")  # hashed once: every user shares it
    users = User.objects.bulk_create(
        User(username=f"streamer{n}", email=f"streamer{n}@example.com", password=password) for n in range(count)
    )
    auth_hash = users[0].get_session_auth_hash()  # depends on the password hash only
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    sessions = []
    cookies = []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: auth_hash,
        }
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies.append((user.pk, f"{settings.SESSION_COOKIE_NAME}={key}"))
    Session.objects.bulk_create(sessions, batch_size=2000)
    return cookies


def newest_notification() -> int:
    from django.db.models import Max

    from notifications.models import Notification

    return Notification.objects.aggregate(newest=Max("pk"))["newest"] or 0


def database_transactions() -> tuple[int, int]:
    """(transactions committed or rolled back so far, open connections) of the benchmark database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit + xact_rollback, numbackends FROM pg_stat_database WHERE datname = current_database()"
        )
        transactions, backends = cursor.fetchone()
    return int(transactions), int(backends)


def postgres_started() -> str:
    """When the PostgreSQL server started: a change during the run means someone restarted it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return str(cursor.fetchone()[0])


def send_notifications(user_ids: list[int], count: int, interval: float, seed: int) -> dict[int, float]:
    """Notify a random user with an open stream count times, interval apart: {notification id: time sent}."""
    from notifications.models import Notification
    from notifications.services import notify

    rng = random.Random(seed)  # noqa: S311 - picks users, not secrets
    sent: dict[int, float] = {}
    start = time.perf_counter()
    for n in range(count):
        user_id = rng.choice(user_ids)
        before = time.perf_counter()
        created = notify([Notification(user_id=user_id, title=f"bench {n}", body="live stream latency")])
        sent[created[0].pk] = before
        time.sleep(max(0.0, start + (n + 1) * interval - time.perf_counter()))
    return sent


# --- The web process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# Where each design's code is: "before" is added by main(), an export of --before (git archive).
TREES = {"ours": ROOT, "polling": ROOT}


def start_server(design: str, port: int, logfile: Path) -> subprocess.Popen[bytes]:
    app = (
        ["--app-dir", str(ROOT / "bench"), "streams:polling_app"]
        if design == "polling"
        else ["drillquiz.asgi:application"]
    )
    args = [sys.executable, "-m", "uvicorn", *app, "--host", HOST, "--port", str(port), "--workers", "1"]
    args += ["--no-access-log", "--log-level", "warning", "--backlog", "4096", "--timeout-graceful-shutdown", "3"]
    env = {**os.environ, **BENCH_ENV, "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with logfile.open("ab") as out:
        server = subprocess.Popen(args, cwd=TREES[design], env=env, stdout=out, stderr=subprocess.STDOUT)
    log(f"{design}: uvicorn pid {server.pid} on port {port} (log {logfile})")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{design} web process exited with {server.returncode}; see {logfile}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{design} web process did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Let the server see its clients go (a few seconds), then stop it."""
    deadline = time.monotonic() + 20
    with contextlib.suppress(OSError):
        while len(os.listdir(f"/proc/{server.pid}/fd")) > 100 and time.monotonic() < deadline:
            time.sleep(0.2)
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, sum(ticks[:8]) / hz


def process_status(pid: int) -> dict[str, int]:
    """VmRSS (KiB) and Threads of a process, from /proc."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "Threads"):
            figures[name] = int(value.split()[0])
    return figures


# --- The client --------------------------------------------------------------------------------


@dataclass
class Stream:
    user_id: int
    writer: asyncio.StreamWriter
    task: asyncio.Task[None] | None = None
    last_id: int | None = None  # the last event id read, as a browser keeps it for Last-Event-ID


@dataclass
class Client:
    port: int
    since: int
    timeout: float
    received: dict[int, float] = field(default_factory=dict)  # notification id: time its id line was read
    ids: dict[int, list[int]] = field(default_factory=dict)  # user id: every event id read, repeats kept
    streams: list[Stream] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    next_user: int = 0

    def alive(self) -> list[Stream]:
        return [stream for stream in self.streams if stream.task is not None and not stream.task.done()]

    async def open(self, user_id: int, cookie: str, last_event_id: int | None = None) -> None:
        """Open one stream (a reconnect when last_event_id is given); on success it joins self.streams,
        else its error is counted."""
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), self.timeout)
            resume = "" if last_event_id is None else f"Last-Event-ID: {last_event_id}\r\n"
            request = (
                f"GET /notifications/stream?since={self.since} HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n{resume}\r\n"
            )
            writer.write(request.encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            status = head.split(b" ", 2)[1].decode()
            if status != "200":
                raise ConnectionError(f"status {status}")
            chunked = b"transfer-encoding: chunked" in head.lower()
            body = b""
            while b": connected\n" not in body:
                body += await asyncio.wait_for(read_part(reader, chunked), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
            self.errors[str(error) if isinstance(error, ConnectionError) else type(error).__name__] += 1
            if writer is not None:
                writer.close()
            return
        stream = Stream(user_id, writer, last_id=last_event_id)
        stream.task = asyncio.create_task(self.follow(stream, reader, chunked, body))
        self.streams.append(stream)

    async def follow(self, stream: Stream, reader: asyncio.StreamReader, chunked: bool, rest: bytes) -> None:
        """Read the stream until it ends, noting when each event's id line arrives."""
        buffer = rest
        ids = self.ids.setdefault(stream.user_id, [])
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            while True:
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                now = time.perf_counter()
                for line in lines:
                    if line.startswith(b"id: "):
                        event_id = int(line[4:])
                        self.received.setdefault(event_id, now)
                        ids.append(event_id)
                        stream.last_id = event_id
                part = await read_part(reader, chunked)
                if not part:
                    return
                buffer += part

    async def grow(self, users: list[tuple[int, str]], target: int, batch: int, budget: float) -> str:
        """Open streams for the next users, batch at a time, until target are open. Stops early, and says
        why, when a whole batch fails, failures pass 5% of target (a failed user is not retried), or
        opening has taken budget seconds."""
        deadline = time.perf_counter() + budget
        while len(self.streams) < target and self.next_user < len(users):
            if time.perf_counter() > deadline:
                log(f"  open budget of {budget:.0f} s ran out")
                return f"open budget of {budget:.0f} s ran out"
            todo = users[self.next_user : self.next_user + min(batch, target - len(self.streams))]
            self.next_user += len(todo)
            failed = sum(self.errors.values())
            before = len(self.streams)
            await asyncio.gather(*(self.open(user_id, cookie) for user_id, cookie in todo))
            now_failed = sum(self.errors.values()) - failed
            if now_failed:
                log(f"  {now_failed} of {len(todo)} failed to open: {dict(self.errors)}")
            if len(self.streams) // 1000 != before // 1000 or len(self.streams) >= target:
                log(f"  {len(self.streams)} streams open")
            if now_failed == len(todo) or sum(self.errors.values()) > target // 20:
                log("  giving up on this level")
                return f"failed to open: {dict(self.errors)}"
        return f"failed to open: {dict(self.errors)}" if self.errors else ""

    async def close(self) -> None:
        for stream in self.streams:
            stream.writer.close()
        tasks = [stream.task for stream in self.streams if stream.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.streams.clear()


async def read_part(reader: asyncio.StreamReader, chunked: bool) -> bytes:
    """The next piece of the body: one HTTP chunk, or what is there; b"" at the end."""
    if not chunked:
        return await reader.read(65536)
    size = int((await reader.readline()).split(b";")[0], 16)
    if size == 0:
        return b""
    return (await reader.readexactly(size + 2))[:-2]


# --- One design, level by level ------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(round(share * len(ordered), 9)) - 1)]


async def run_design(
    design: str, users: list[tuple[int, str]], options: argparse.Namespace, db: ThreadPoolExecutor, logdir: Path
) -> list[dict[str, str]]:
    loop = asyncio.get_running_loop()
    rows: list[dict[str, str]] = []
    port = free_port()
    server = await loop.run_in_executor(None, start_server, design, port, logdir / f"{design}.log")
    since = await loop.run_in_executor(db, newest_notification)
    client = Client(port, since, options.open_timeout)
    try:
        await client.open(*users[0])  # warm-up: first request, hub started, database connection made
        if not client.streams:
            raise RuntimeError(f"{design}: the warm-up stream did not open: {dict(client.errors)}")
        await client.close()
        client.errors.clear()
        await asyncio.sleep(2)
        base = process_status(server.pid)
        log(f"{design}: baseline RSS {base['VmRSS']} KiB, {base['Threads']} threads")
        levels = sorted({options.latency_streams, *options.streams})
        client.next_user = 1
        for level in levels:
            started = time.perf_counter()
            note = await client.grow(users, level, options.batch, options.open_budget)
            opened_in = time.perf_counter() - started
            await asyncio.sleep(options.settle)
            if server.poll() is not None:
                log(f"{design}: web process exited with {server.returncode}")
                rows.append({"design": design, "asked": str(level), "held": "0 (web process died)"})
                break
            status = process_status(server.pid)
            held = len(client.alive())
            log(f"{design}: {held} held of {level} asked; RSS {status['VmRSS']} KiB, {status['Threads']} threads")
            first, _ = await loop.run_in_executor(db, database_transactions)
            window_start = time.perf_counter()
            server_cpu, client_cpu, (busy, total) = cpu_seconds(server.pid), cpu_seconds(os.getpid()), machine_cpu()
            await asyncio.sleep(options.window)
            server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, cpu_seconds(os.getpid()) - client_cpu
            busy, total = machine_cpu()[0] - busy, machine_cpu()[1] - total
            last, backends = await loop.run_in_executor(db, database_transactions)
            window = time.perf_counter() - window_start
            queries = (last - first) / window
            events = options.events if level == options.latency_streams else options.probe_events
            open_users = [stream.user_id for stream in client.alive()]
            if not open_users:
                log(f"{design}: no stream stayed open")
                rows.append({"design": design, "asked": str(level), "held": "0"})
                break
            log(f"{design}: {queries:.1f} DB transactions/s idle; sending {events} notifications")
            sent = await loop.run_in_executor(db, send_notifications, open_users, events, options.interval, level)
            deadline = time.perf_counter() + options.delivery_timeout
            while time.perf_counter() < deadline and not sent.keys() <= client.received.keys():
                await asyncio.sleep(0.1)
            latencies = [(client.received[pk] - at) * 1000 for pk, at in sent.items() if pk in client.received]
            rss_per_stream = (status["VmRSS"] - base["VmRSS"]) / held if held else 0.0
            rows.append(
                {
                    "design": design,
                    "asked": str(level),
                    "held": str(held),
                    "open_s": f"{opened_in:.1f}",
                    "rss_mib": f"{status['VmRSS'] / 1024:.1f}",
                    "kib_per_stream": f"{rss_per_stream:.1f}",
                    "threads": str(status["Threads"]),
                    "db_conns": str(backends - 1),  # less this benchmark's own connection
                    "queries_s": f"{queries:.1f}",
                    "server_cpu": f"{100 * server_cpu / window:.0f}",
                    "client_cpu": f"{100 * client_cpu / window:.0f}",
                    "machine_cpu": f"{100 * busy / total:.0f}",
                    "delivered": f"{len(latencies)}/{len(sent)}",
                    "p50": f"{percentile(latencies, 0.50):.1f}" if latencies else "-",
                    "p99": f"{percentile(latencies, 0.99):.1f}" if latencies else "-",
                    "max": f"{max(latencies):.1f}" if latencies else "-",
                    "note": note,
                }
            )
            log(f"{design}: {rows[-1]}")
            if held < level:
                break
    finally:
        log(f"{design}: closing {len(client.streams)} streams")
        await client.close()
        await loop.run_in_executor(None, stop_server, server)
        log(f"{design}: uvicorn pid {server.pid} stopped")
    return rows


# --- Reconnects: every client comes back with Last-Event-ID, and must get exactly what it missed --


def add_missed(user_ids: list[int], seed: int, long_replays: int) -> int:
    """Notifications written while the clients are away (nobody listens, so none is published): 0 to
    2 per user, and REPLAY_LIMIT + 30 each for long_replays users (a replay of more than one query)."""
    from notifications.models import Notification
    from notifications.stream import REPLAY_LIMIT

    rng = random.Random(seed)  # noqa: S311 - picks users, not secrets
    rows = [Notification(user_id=user_id, title="missed") for user_id in user_ids for _ in range(rng.randint(0, 2))]
    for user_id in rng.sample(user_ids, min(long_replays, len(user_ids))):
        rows += [Notification(user_id=user_id, title="missed") for _ in range(REPLAY_LIMIT + 30)]
    Notification.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def notifications_after(since: int, user_ids: list[int]) -> dict[int, list[int]]:
    """{user id: ids of their notifications after since, oldest first}: what their streams must send."""
    from notifications.models import Notification

    expected: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    rows = Notification.objects.filter(pk__gt=since, user_id__in=user_ids).order_by("pk").values_list("user_id", "pk")
    for user_id, pk in rows:
        expected[user_id].append(pk)
    return expected


def send_until(stop: threading.Event, user_ids: list[int], interval: float, seed: int) -> int:
    """Live notifications (real insert and publish) for random users, interval apart, until stop."""
    from notifications.models import Notification
    from notifications.services import notify

    rng = random.Random(seed)  # noqa: S311 - picks users, not secrets
    sent = 0
    while not stop.is_set():
        notify([Notification(user_id=rng.choice(user_ids), title=f"live {sent}")])
        sent += 1
        stop.wait(interval)
    return sent


def caught_up(client: Client, expected: dict[int, list[int]]) -> list[int]:
    """The users whose streams have not yet sent all of their expected ids."""
    return [user_id for user_id, ids in expected.items() if not set(ids) <= set(client.ids.get(user_id, ()))]


async def storm(
    client: Client,
    users: list[tuple[int, str]],
    resume: dict[int, int | None],
    options: argparse.Namespace,
    db: ThreadPoolExecutor,
) -> dict[str, str]:
    """Every user's stream opens at once (options.concurrency in flight), each with its Last-Event-ID:
    how long until all are open, and until all have also received what they missed before it began."""
    loop = asyncio.get_running_loop()
    everything = await loop.run_in_executor(db, notifications_after, client.since, [user for user, _ in users])
    expected = {  # what each stream must replay: the user's notifications after its Last-Event-ID
        user: [pk for pk in ids if pk > (resume[user] or client.since)] for user, ids in everything.items()
    }
    missed = sum(len(ids) for ids in expected.values())
    errors = sum(client.errors.values())
    gate = asyncio.Semaphore(options.concurrency)

    async def reconnect(user_id: int, cookie: str) -> None:
        async with gate:
            await client.open(user_id, cookie, resume[user_id])

    started = time.perf_counter()
    await asyncio.gather(*(reconnect(user_id, cookie) for user_id, cookie in users))
    connected = time.perf_counter() - started
    waiting = caught_up(client, expected)
    deadline = time.perf_counter() + options.delivery_timeout
    while waiting and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        waiting = caught_up(client, {user_id: expected[user_id] for user_id in waiting})
    done = time.perf_counter() - started
    return {
        "connected_s": f"{connected:.2f}",
        "caught_up_s": f"{done:.2f}" if not waiting else f"{len(waiting)} never caught up",
        "opens_s": f"{len(users) / done:.1f}",
        "replayed": str(missed),
        "failed": str(sum(client.errors.values()) - errors),
    }


async def run_reconnects(
    design: str, users: list[tuple[int, str]], options: argparse.Namespace, db: ThreadPoolExecutor, logdir: Path
) -> list[dict[str, str]]:
    """Storms on one web process: every client opens with the Last-Event-ID its page had, drops, and
    reconnects with the last id it read, again and again, while live notifications keep coming (until
    the last storm); then every user's ids are checked against the database: none missed, none
    twice, none of another user."""
    loop = asyncio.get_running_loop()
    port = free_port()
    server = await loop.run_in_executor(None, start_server, design, port, logdir / f"{design}.log")
    since = await loop.run_in_executor(db, newest_notification)
    client = Client(port, since, options.open_timeout)
    user_ids = [user_id for user_id, _ in users]
    rows = []
    try:
        await client.open(*users[-1])  # warm-up: first request, hub started, database connection made
        if not client.streams:
            raise RuntimeError(f"{design}: the warm-up stream did not open: {dict(client.errors)}")
        await client.close()
        client.ids.clear()
        resume: dict[int, int | None] = dict.fromkeys(user_ids, since)
        stop = threading.Event()
        live = loop.run_in_executor(None, send_until, stop, user_ids, options.interval, len(users))
        for storm_number in range(1, options.storms + 1):
            if storm_number == options.storms:
                stop.set()  # the last storm catches every stream up on the last live notifications
            count = await loop.run_in_executor(db, add_missed, user_ids, storm_number, options.long_replays)
            log(f"{design}: {len(users)} clients, storm {storm_number}: {count} notifications written while away")
            row = await storm(client, users, resume, options, db)
            backends = (await loop.run_in_executor(db, database_transactions))[1] - 2  # less the bench's two
            threads = process_status(server.pid)["Threads"]
            rows.append(
                {"design": design, "clients": str(len(users)), "storm": str(storm_number), **row}
                | {"threads": str(threads), "db_conns": str(backends)}
            )
            log(f"{design}: {rows[-1]}")
            resume = {stream.user_id: stream.last_id for stream in client.streams}
            await client.close()
        sent = await live
        expected = await loop.run_in_executor(db, notifications_after, since, user_ids)
        got = {user_id: client.ids.get(user_id, []) for user_id in user_ids}
        check = {
            "live": str(sent),
            "expected": str(sum(len(ids) for ids in expected.values())),
            "missed": str(sum(len(set(expected[user]) - set(got[user])) for user in user_ids)),
            "doubled": str(sum(len(got[user]) - len(set(got[user])) for user in user_ids)),
            "foreign": str(sum(len(set(got[user]) - set(expected[user])) for user in user_ids)),
        }
        for one in rows:
            one.update(check)
        log(f"{design}: check {check}")
    finally:
        await client.close()
        await loop.run_in_executor(None, stop_server, server)
        log(f"{design}: uvicorn pid {server.pid} stopped")
    return rows


RECONNECT_COLUMNS = {
    "design": "code",
    "clients": "clients",
    "storm": "storm",
    "connected_s": "s until all open",
    "caught_up_s": "s until all caught up",
    "opens_s": "opens/s",
    "replayed": "missed notifications replayed",
    "failed": "failed opens",
    "threads": "server threads",
    "db_conns": "DB conns",
    "live": "live sent",
    "expected": "ids expected",
    "missed": "missed",
    "doubled": "doubled",
    "foreign": "other users'",
}


COLUMNS = {
    "design": "design",
    "asked": "streams asked",
    "held": "held",
    "open_s": "s to open",
    "rss_mib": "RSS MiB",
    "kib_per_stream": "RSS KiB/stream",
    "threads": "threads",
    "db_conns": "DB conns",
    "queries_s": "DB queries/s idle",
    "server_cpu": "server CPU % idle",
    "machine_cpu": "machine CPU % idle",
    "delivered": "delivered",
    "p50": "p50 ms",
    "p99": "p99 ms",
    "max": "max ms",
    "note": "note",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    numbers = lambda text: [int(n) for n in text.split(",")]  # noqa: E731
    parser.add_argument("--measure", choices=["reconnect", "hold"], default="reconnect")
    parser.add_argument("--clients", type=numbers, default=[2000, 10000], help="reconnect: clients, one run each")
    parser.add_argument("--concurrency", type=int, default=100, help="reconnect: streams opening at once")
    parser.add_argument("--storms", type=int, default=3, help="reconnect: storms a run (live ones in all but the last)")
    parser.add_argument("--long-replays", type=int, default=5, help="reconnect: users missing over REPLAY_LIMIT")
    parser.add_argument("--before", default=BEFORE, help="reconnect: the commit whose code is `before`")
    parser.add_argument("--streams", type=numbers, default=[1000, 5000, 10000], help="hold: levels")
    parser.add_argument("--latency-streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200, help="notifications sent at --latency-streams")
    parser.add_argument("--probe-events", type=int, default=50, help="notifications sent at the other levels")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between notifications")
    parser.add_argument("--batch", type=int, default=50, help="streams opened at once")
    parser.add_argument("--open-timeout", type=float, default=30.0, help="seconds one stream may take to open")
    parser.add_argument("--open-budget", type=float, default=120.0, help="seconds to open the streams of a level")
    parser.add_argument("--delivery-timeout", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait after opening a level")
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which DB queries are counted")
    parser.add_argument("--designs", help="default: before,ours to reconnect, ours,polling to hold")
    parser.add_argument("--nofile", type=int, default=20000, help="open files limit to ask for (needs privilege)")
    options = parser.parse_args()
    designs = (options.designs or ("before,ours" if options.measure == "reconnect" else "ours,polling")).split(",")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:  # above the hard limit only with the privilege to; the web processes inherit it
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, options.nofile), max(hard, options.nofile)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log(f"open files limit {soft} -> {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (client and server each)")
    setup_django(DATABASE)
    levels = options.clients if options.measure == "reconnect" else [options.latency_streams, *options.streams]
    count = max(levels) * 21 // 20 + 1  # spares for streams that fail to open
    started = time.perf_counter()
    users = make_users(count)
    log(f"{count} users with sessions in {time.perf_counter() - started:.1f} s")

    async def run_all() -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        with ThreadPoolExecutor(1) as db, tempfile.TemporaryDirectory(prefix="bench-streams-") as logdir:
            runs = (
                [(design, clients) for clients in options.clients for design in designs]
                if options.measure == "reconnect"
                else [(design, 0) for design in designs]
            )
            for design, clients in runs:
                try:
                    if clients:
                        rows += await run_reconnects(design, users[:clients], options, db, Path(logdir))
                    else:
                        rows += await run_design(design, list(users), options, db, Path(logdir))
                finally:
                    for name in sorted(Path(logdir).iterdir()):
                        text = name.read_text(errors="replace").strip()
                        if text:
                            log(f"{name.name} (last 3000 characters):\n{text[-3000:]}")
                            name.write_text("")
        return rows

    load_before = os.getloadavg()
    started_at = postgres_started()
    from django.db import connection

    connection.close()  # from here on the one thread of `db` is this process's only connection
    with contextlib.ExitStack() as trees:
        if "before" in designs:
            TREES["before"] = trees.enter_context(exported(options.before))
            log(f"before: the code of {options.before} in {TREES['before']}")
        rows = asyncio.run(run_all())
    if postgres_started() != started_at:
        print("**PostgreSQL was restarted during the run by something outside it: the figures are not valid.**")
    load = " / ".join(f"{a:.2f}, {b:.2f}, {c:.2f}" for a, b, c in (load_before, os.getloadavg()))
    print(f"Machine load average (1, 5, 15 min) at start / end: {load}")
    columns = RECONNECT_COLUMNS if options.measure == "reconnect" else COLUMNS
    print(f"| {' | '.join(columns.values())} |")
    print(f"|{' --- |' * len(columns)}")
    for row in rows:
        print(f"| {' | '.join(row.get(key, '-') for key in columns)} |")


if __name__ == "__main__":
    main()
