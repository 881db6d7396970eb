"""Soak run: mixed traffic for many minutes while a worker is killed and Redis restarted in turn.

Starts the real processes (one uvicorn web process, one prefork worker with concurrency 2 on every
queue, beat) on a fresh PostgreSQL database of its own (drillquiz_bench_soak), a private Redis with
an append-only file, an SMTP sink in this process and the pseudo translation provider. Client
threads view exam pages as Korean and English learners (Korean views of untranslated exams enqueue
translation saves), list exams, open the home page and sign up (each signup enqueues a welcome
email); beat sends the review reminders of 300 learners every 30 s (each must get exactly one
email) and relays the outbox every minute.

Every --fault-every seconds, alternately: the worker's whole process group is SIGKILLed and a new
worker started at once (as Kubernetes would), or Redis is stopped and started again (its AOF keeps
the queues). The broker's visibility timeout is 60 s (production keeps 3600 s), so the tasks of a
killed worker come back within the run. A worker that exits by itself is started again at once too,
as a supervisor would, and the report lists when. After the traffic, the system drains (up to
--drain s).

Measures: requests served, errors (status >= 500 or no response), error rate, p50/p99 latency;
per fault the p99 and errors 30 s before, 30 s after (during) and 30-90 s after (after), and the time
to the first successful request; jobs enqueued (outbox rows) against jobs done (SUCCESS results),
still pending, failed, run more than once; emails per signed-up address and per learner.
Usage: .venv/bin/python bench/soak.py --minutes 10 --fault-every 120
"""

import argparse
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import redis
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from common import BENCH_ENV, ROOT, setup_django

sys.path.insert(0, str(ROOT))
from tests.processes import free_port

# Chosen before Django starts, so this process's settings name the private Redis too, never a shared one.
REDIS_PORT = free_port()
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}"
BENCH_ENV.update(CELERY_BROKER_URL=f"{REDIS_URL}/0", CACHE_URL=f"{REDIS_URL}/1")

# A database of its own: setup_django() drops it with --force, and other benchmarks may run meanwhile.
setup_django("drillquiz_bench_soak")

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from accounts.models import User
from drillquiz.celery import app
from jobs.models import OutboxMessage
from quiz.models import Exam, ReviewItem, ReviewReminder
from tests.factories import make_exam
from tests.faults.conftest import PrivateRedis
from tests.processes import CELERY, all_queues, start_process, stop_process, wait_until

# Zones of whole-, half- and quarter-hour offsets: learners are put only where the local hour has at
# least 15 minutes left, so their reminder hour cannot end before beat's first fan-outs.
ZONES = (
    "Asia/Seoul",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Asia/Kathmandu",
    "America/St_Johns",
)
REQUEST_TIMEOUT = 30  # seconds; a request that takes longer counts as an error
WINDOW = 30  # seconds before and after a fault
T = TypeVar("T")
TASK_LINE = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] (received|succeeded|retry|raised)")


@dataclass
class Sample:
    start: float  # seconds since the traffic began
    latency: float
    kind: str
    status: int  # 0: no response (connection error, timeout)


@dataclass
class Fault:
    kind: str
    at: float  # seconds since the traffic began
    outage: float  # seconds until the replacement was started (worker) or answered (Redis)


class Sink:
    """An SMTP server that accepts everything and counts the messages each recipient gets."""

    def __init__(self) -> None:
        self.per_recipient: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        with self.lock:
            self.per_recipient.update(address.lower() for address in envelope.rcpt_tos)
        return "250 OK"


@dataclass
class Client:
    """One client thread's state: its learners' cookies and what it measured."""

    number: int
    cookies: dict[str, dict[str, str]]  # language -> cookies of a logged-in learner viewing in it
    samples: list[Sample] = field(default_factory=list)
    signups: list[str] = field(default_factory=list)  # addresses whose signup POST answered a redirect
    signup_attempts: int = 0
    rng: random.Random = field(default_factory=random.Random)


# --- data --------------------------------------------------------------------------------------


def session_cookies(user: User, language: str) -> dict[str, str]:
    """The cookies of a logged-in browser of user, showing the site in language."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {settings.SESSION_COOKIE_NAME: str(session.session_key), settings.LANGUAGE_COOKIE_NAME: language}


def make_exams(count: int) -> list[str]:
    """The demo exams plus count English exams of two questions; returns every published slug."""
    call_command("load_demo", verbosity=0)
    with transaction.atomic():
        for number in range(count):
            make_exam(f"soak-{number}", questions=2, description=f"Practice set number {number} for the soak run.")
    return list(Exam.objects.published().values_list("slug", flat=True))


def reminder_zones(now: datetime) -> list[str]:
    return [zone for zone in ZONES if now.astimezone(ZoneInfo(zone)).minute < 45]


def make_learners(count: int) -> list[str]:
    """count learners whose reminder hour is now where they live, with reviews due; their addresses."""
    exam = make_exam("soak-reviews", questions=3, published=False)
    questions = list(exam.questions.all())
    zones = reminder_zones(timezone.now())
    password = make_password(None)  # unusable: these learners never log in
    learners = []
    for number in range(count):
        zone = zones[number % len(zones)]
        hour = timezone.now().astimezone(ZoneInfo(zone)).hour
        learners.append(
            User(
                username=f"learner{number}",
                email=f"learner{number}@example.com",
                password=password,
                language=("en", "ko")[number % 2],
                time_zone=zone,
                reminder_hour=hour,
            )
        )
    users = User.objects.bulk_create(learners)
    ReviewItem.objects.bulk_create(
        ReviewItem(user=user, question=question, due=timezone.now()) for user in users for question in questions
    )
    return [user.email for user in users]


def make_viewers(clients: int) -> list[Client]:
    """For each client thread, a Korean and an English learner, logged in (no reviews, no reminders)."""
    password = make_password(None)
    result = []
    for number in range(clients):
        cookies = {}
        for language in ("ko", "en"):
            user = User.objects.create(
                username=f"viewer{number}-{language}",
                email=f"viewer{number}-{language}@example.com",
                password=password,
                language=language,
                reminders_enabled=False,
            )
            cookies[language] = session_cookies(user, language)
        result.append(Client(number, cookies))
    return result


def install_schedule() -> None:
    """Review reminders every 30 s (each learner still gets one), the outbox relay every minute."""
    for seconds, name in ((30, "quiz.tasks.send_due_review_reminders"), (60, "jobs.tasks.relay_outbox")):
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=name, interval=interval)


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Worker:
    """The soak's one worker (prefork, concurrency 2), started again at once when the run kills it or
    when it exits by itself, as Kubernetes restarts a pod's container."""

    env: dict[str, str]
    log: Path
    generation: int = 0
    process: subprocess.Popen[bytes] | None = None
    exits: list[float] = field(default_factory=list)  # time.monotonic() of each exit by itself

    def start(self) -> None:
        self.generation += 1
        args = [CELERY, "-A", "drillquiz", "worker", "--hostname", f"soak{self.generation}@%h", "--loglevel", "INFO"]
        args += ["--queues", all_queues(), "--concurrency", "2", "--pool", "prefork"]
        self.process = start_process(args, self.env, self.log)

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)  # main process and pool children
            self.process.wait()
        self.start()

    def restart_if_exited(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.exits.append(time.monotonic())
            print(f"the worker exited by itself (status {self.process.returncode}); started again", file=sys.stderr)
            self.start()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


# --- traffic -----------------------------------------------------------------------------------


def timed(
    http: requests.Session, client: Client, began: float, kind: str, method: str, url: str, **kwargs: object
) -> requests.Response | None:
    started = time.monotonic()
    try:
        response = http.request(method, url, timeout=REQUEST_TIMEOUT, allow_redirects=False, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException:
        client.samples.append(Sample(started - began, time.monotonic() - started, kind, 0))
        return None
    client.samples.append(Sample(started - began, time.monotonic() - started, kind, response.status_code))
    return response


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_up(client: Client, base: str, began: float) -> None:
    """GET the form (for the CSRF token), then POST it, in a fresh browser."""
    client.signup_attempts += 1
    name = f"signup{client.number}x{client.signup_attempts}"
    with requests.Session() as http:
        form = timed(http, client, began, "signup form", "GET", f"{base}/accounts/signup/")
        token = CSRF_INPUT.search(form.text) if form is not None and form.status_code == 200 else None
        if token is None:
            return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "username": name,
            "email": f"{name}@example.com",
            "language": client.rng.choice(("ko", "en")),
            "password1": "soak-Run-pass-4471",
            "password2": "soak-Run-pass-4471",
        }
        answer = timed(http, client, began, "signup post", "POST", f"{base}/accounts/signup/", data=data)
        if answer is not None and answer.status_code == 302:
            client.signups.append(data["email"])


def drive(client: Client, base: str, slugs: list[str], began: float, until: float) -> None:
    """Mostly exam pages as a Korean or English learner; some lists, home pages and signups."""
    pages = math.ceil(len(slugs) / 10)
    sessions = {}
    for language, cookies in client.cookies.items():
        sessions[language] = requests.Session()
        sessions[language].cookies.update(cookies)
    anonymous = requests.Session()
    while time.monotonic() < until:
        roll = client.rng.random()
        http = sessions[client.rng.choice(("ko", "en"))]
        if roll < 0.70:
            timed(http, client, began, "exam page", "GET", f"{base}/exams/{client.rng.choice(slugs)}/")
        elif roll < 0.80:
            timed(http, client, began, "exam list", "GET", f"{base}/exams/?page={client.rng.randint(1, pages)}")
        elif roll < 0.92:
            timed(anonymous, client, began, "home", "GET", f"{base}/")
        else:
            sign_up(client, base, began)


# --- measuring ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def is_error(sample: Sample) -> bool:
    return sample.status == 0 or sample.status >= 500


def window(samples: list[Sample], start: float, end: float) -> str:
    inside = [s for s in samples if start <= s.start < end]
    errors = sum(is_error(s) for s in inside)
    return f"{ms(percentile([s.latency for s in inside], 0.99))}, {errors} of {len(inside)}"


def first_success_after(samples: list[Sample], at: float) -> str:
    done = [s.start + s.latency for s in samples if s.start >= at and not is_error(s)]
    return f"{min(done) - at:.2f} s" if done else "none"


def queued(broker: redis.Redis) -> int:
    """Messages waiting in the queues (every priority list) plus those delivered and not acknowledged."""
    total = int(broker.hlen("unacked"))
    for key in broker.scan_iter(match="*"):
        if (
            key.decode(errors="replace").startswith(tuple(queue.name for queue in settings.CELERY_TASK_QUEUES))
            and broker.type(key) == b"list"
        ):
            total += int(broker.llen(key))
    return total


def with_database(read: Callable[[], T], timeout: float = 120) -> T:
    """read(), tried again while PostgreSQL is away: the machine's other users may restart it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def pending_outbox() -> int:
    return with_database(lambda: OutboxMessage.objects.filter(sent__isnull=True).count())


def postgres_started() -> datetime:
    """When the PostgreSQL server was started, to tell whether someone restarted it during the run."""

    def read() -> datetime:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_postmaster_start_time()")
            started: datetime = cursor.fetchone()[0]
            return started

    return with_database(read)


def drain(broker_url: str, seconds: float, worker: Worker) -> tuple[float, bool]:
    """Wait until the outbox is empty and no task is queued or running; (seconds waited, drained)."""
    broker = redis.Redis.from_url(broker_url, socket_timeout=5)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        worker.restart_if_exited()
        try:
            empty = pending_outbox() == 0 and queued(broker) == 0
        except redis.RedisError:
            empty = False
        if empty:
            return time.monotonic() - started, True
        time.sleep(1)
    return time.monotonic() - started, False


def progress(clients: list[Client], began: float, last: float, broker_url: str) -> None:
    now = time.monotonic() - began
    recent = [s for client in clients for s in list(client.samples) if last <= s.start < now]
    errors = sum(is_error(s) for s in recent)
    try:
        depth = str(queued(redis.Redis.from_url(broker_url, socket_timeout=2)))
    except redis.RedisError as error:
        depth = type(error).__name__
    print(
        f"[{now:6.0f} s] {len(recent)} requests in the last minute, {errors} errors, "
        f"p99 {ms(percentile([s.latency for s in recent], 0.99))}; outbox pending {pending_outbox()}, broker {depth}",
        file=sys.stderr,
    )


# --- the report --------------------------------------------------------------------------------


def task_events(logs: list[Path]) -> dict[str, Counter[str]]:
    """Per task id, how often the worker logs say it was received, succeeded, retried or raised."""
    events: dict[str, Counter[str]] = {}
    for log in logs:
        if log.exists():
            for _name, task_id, event in TASK_LINE.findall(log.read_text(errors="replace")):
                events.setdefault(task_id, Counter())[event] += 1
    return events


def report_requests(samples: list[Sample], duration: float) -> None:
    errors = [s for s in samples if is_error(s)]
    print("| requests | requests/s | errors (>= 500 or none) | error rate | p50 | p99 |")
    print("| --- | --- | --- | --- | --- | --- |")
    latencies = [s.latency for s in samples]
    rate = f"{100 * len(errors) / len(samples):.3f} %" if samples else "-"
    p50, p99 = ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.99))
    print(f"| {len(samples)} | {len(samples) / duration:.1f} | {len(errors)} | {rate} | {p50} | {p99} |")
    print("\n| kind | requests | errors | p50 | p99 | statuses |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in sorted({s.kind for s in samples}):
        some = [s for s in samples if s.kind == kind]
        statuses = ", ".join(f"{code or 'none'}: {n}" for code, n in sorted(Counter(s.status for s in some).items()))
        lat = [s.latency for s in some]
        line = f"| {kind} | {len(some)} | {sum(is_error(s) for s in some)} | {ms(percentile(lat, 0.5))} "
        print(line + f"| {ms(percentile(lat, 0.99))} | {statuses} |")


def report_faults(samples: list[Sample], faults: list[Fault], duration: float) -> None:
    print("\n| # | fault | at | replaced or back after | before (30 s): p99, errors of requests ", end="")
    print("| during (0-30 s after) | after (30-90 s after) | first success after the fault |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for number, fault in enumerate(faults, start=1):
        after_end = fault.at + 90
        cut = " (cut by the end)" if after_end > duration else ""
        print(
            f"| {number} | {fault.kind} | {fault.at:.0f} s | {fault.outage:.2f} s "
            f"| {window(samples, fault.at - WINDOW, fault.at)} | {window(samples, fault.at, fault.at + WINDOW)} "
            f"| {window(samples, fault.at + WINDOW, after_end)}{cut} | {first_success_after(samples, fault.at)} |"
        )


def report_jobs(logs: list[Path]) -> None:
    app.loader.import_default_modules()  # registers every task, to know which ones store no result
    events = task_events(logs)
    results = dict(TaskResult.objects.values_list("task_id", "status"))
    outbox = list(OutboxMessage.objects.values_list("task_id", "task_name", "sent"))
    print("\n| job (outbox) | enqueued | done (SUCCESS) | not done | still in outbox | FAILURE ", end="")
    print("| received more than once | succeeded more than once |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in sorted({row[1] for row in outbox}):
        if app.tasks[name].ignore_result:
            continue
        ids = [task_id for task_id, task_name, _ in outbox if task_name == name]
        done = sum(results.get(task_id) == "SUCCESS" for task_id in ids)
        unsent = sum(1 for _, task_name, sent in outbox if task_name == name and sent is None)
        failed = sum(results.get(task_id) == "FAILURE" for task_id in ids)
        received = sum(events.get(task_id, Counter())["received"] > 1 for task_id in ids)
        again = sum(events.get(task_id, Counter())["succeeded"] > 1 for task_id in ids)
        row = f"| {name} | {len(ids)} | {done} | {len(ids) - done} | {unsent} | {failed} | {received} | {again} |"
        print(row)
    print("\nTask results by task and state (every task the worker stored, outbox or beat):\n")
    print("| task | state | count |")
    print("| --- | --- | --- |")
    counts = Counter(TaskResult.objects.values_list("task_name", "status"))
    for (name, status), count in sorted(counts.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        print(f"| {name} | {status} | {count} |")
    not_done = [
        (task_id, name, results.get(task_id, "no result"))
        for task_id, name, _ in outbox
        if not app.tasks[name].ignore_result and results.get(task_id) != "SUCCESS"
    ]
    for task_id, name, status in not_done[:20]:
        print(f"\nnot done: {name}[{task_id}] {status}, worker log events {dict(events.get(task_id, Counter()))}")


def report_emails(sink: Sink, signed_up: list[str], learners: list[str]) -> None:
    registered = {e.lower() for e in User.objects.filter(username__startswith="signup").values_list("email", flat=True)}
    print("\n| emails | addresses | emails received | with none | with more than one |")
    print("| --- | --- | --- | --- | --- |")
    kinds = (("welcome (signed-up users)", sorted(registered)), ("review reminder (learners)", learners))
    for label, addresses in kinds:
        got = [sink.per_recipient[address] for address in addresses]
        print(f"| {label} | {len(addresses)} | {sum(got)} | {got.count(0)} | {sum(n > 1 for n in got)} |")
    missing_posts = registered - {e.lower() for e in signed_up}
    if missing_posts:
        print(f"\n{len(missing_posts)} account(s) exist whose signup POST got no redirect (error or no answer).")
    for label, addresses in (("welcome", sorted(registered)), ("reminder", learners)):
        for address in addresses:
            if sink.per_recipient[address] != 1:
                print(f"{label}: {address} received {sink.per_recipient[address]} email(s)")
    reminders_sent = ReviewReminder.objects.filter(status=ReviewReminder.Status.SENT).count()
    print(f"\nReviewReminder rows with status sent: {reminders_sent} of {len(learners)} learners")


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10, help="how long the traffic runs")
    parser.add_argument("--fault-every", type=float, default=120, help="seconds between faults")
    parser.add_argument("--drain", type=float, default=180, help="at most this many seconds to drain afterwards")
    parser.add_argument("--clients", type=int, default=6, help="client threads")
    # Enough that Korean views still find untranslated exams at the end of ten minutes (~20 views/s).
    parser.add_argument("--exams", type=int, default=4000, help="English exams besides the demo ones")
    parser.add_argument("--learners", type=int, default=300, help="learners due for a review reminder")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="drillquiz-soak-"))
    print(f"logs and Redis data in {workdir}", file=sys.stderr)
    server = PrivateRedis(workdir, keep_data=True)
    server.port, server.url = REDIS_PORT, REDIS_URL  # the port Django in this process was configured with
    sink = Sink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        **BENCH_ENV,
        "CELERY_BROKER_URL": f"{server.url}/0",
        "CACHE_URL": f"{server.url}/1",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "LOG_LEVEL": "WARNING",
        "TRANSLATION_PROVIDER": "pseudo",
        # Production-like, except that Redis hands a lost worker's tasks to another after 60 s (not 3600).
        "BROKER_VISIBILITY_TIMEOUT": "60",
        "BROKER_RESTORE_INTERVAL": "5",
        "BROKER_RESTORE_THROTTLE": "1",
        "DRILLQUIZ_VAR_DIR": str(workdir / "var"),
        "BEAT_HEARTBEAT_FILE": str(workdir / "beat-heartbeat"),
        "PYTHONUNBUFFERED": "1",
    }
    worker_log, web_log, beat_log = workdir / "worker.log", workdir / "web.log", workdir / "beat.log"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    worker = Worker(env, worker_log)
    faults: list[Fault] = []
    clients: list[Client] = []
    setup_started = time.monotonic()
    try:
        server.start()
        smtp.start()
        slugs = make_exams(options.exams)
        clients = make_viewers(options.clients)
        learners = make_learners(options.learners)
        install_schedule()
        print(
            f"data: {len(slugs)} published exams, {len(learners)} learners, {len(clients)} clients "
            f"({time.monotonic() - setup_started:.0f} s)",
            file=sys.stderr,
        )
        worker.start()
        wait_until(lambda: worker_log.read_text(errors="replace").count(" ready.") >= 1, 60, "the worker")
        web_args = [sys.executable, "-m", "uvicorn", "drillquiz.asgi:application", "--port", str(web_port)]
        processes["web"] = start_process([*web_args, "--no-access-log"], env, web_log)
        wait_until(lambda: answers(f"{base}/healthz"), 30, "the web process")
        processes["beat"] = start_process([CELERY, "-A", "drillquiz", "beat", "--loglevel", "INFO"], env, beat_log)

        duration = options.minutes * 60
        postgres_before, began_at = postgres_started(), timezone.now()
        began = time.monotonic()
        until = began + duration
        threads = [
            threading.Thread(target=drive, args=(client, base, slugs, began, until), daemon=True) for client in clients
        ]
        for thread in threads:
            thread.start()
        next_fault, next_minute, last_minute = began + options.fault_every, began + 60, 0.0
        while time.monotonic() < until:
            worker.restart_if_exited()
            now = time.monotonic()
            if now >= next_fault and next_fault < until:
                kind = "kill worker" if len(faults) % 2 == 0 else "restart Redis"
                at = now - began
                if kind == "kill worker":
                    worker.kill()
                else:
                    server.restart()
                outage = time.monotonic() - now
                faults.append(Fault(kind, at, outage))
                print(f"[{at:6.0f} s] fault {len(faults)}: {kind} (back after {outage:.2f} s)", file=sys.stderr)
                next_fault += options.fault_every
            if now >= next_minute:
                progress(clients, began, last_minute, server.url + "/0")
                last_minute = now - began
                next_minute += 60
            time.sleep(0.05)
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT * 2 + 5)
        print(f"traffic done after {time.monotonic() - began:.0f} s; draining", file=sys.stderr)
        drained_after, drained = drain(server.url + "/0", options.drain, worker)
        print(f"drain: {'empty' if drained else 'NOT empty'} after {drained_after:.0f} s", file=sys.stderr)
    finally:
        for name in ("beat", "web"):
            if name in processes:
                stop_process(processes[name])
        if worker.process is not None:
            stop_process(worker.process)
        server.stop()
        smtp.stop()
    postgres_after = postgres_started()
    samples = sorted((s for client in clients for s in client.samples), key=lambda s: s.start)
    print(
        f"Soak run: {options.minutes:g} min of traffic from {options.clients} client threads, a fault every "
        f"{options.fault_every:g} s (worker SIGKILL and Redis restart in turn), drain up to {options.drain:g} s; "
        f"{len(slugs)} published exams, {len(learners)} learners due a reminder; broker visibility timeout 60 s "
        f"(restore every 5 s), so a killed worker's tasks come back within the run. Latency percentiles are "
        f"nearest-rank; errors are statuses >= 500 and requests without an answer ({REQUEST_TIMEOUT} s timeout).\n"
    )
    if postgres_after != postgres_before:
        offset = (postgres_after - began_at).total_seconds()
        print(
            f"**PostgreSQL was restarted during the run by something outside it**: its server started again "
            f"{offset:.0f} s after the traffic began ({postgres_before:%H:%M:%S} -> {postgres_after:%H:%M:%S} UTC).\n"
        )
    report_requests(samples, options.minutes * 60)
    report_faults(samples, faults, options.minutes * 60)
    print(f"\nDrain: {'outbox and broker empty' if drained else 'NOT empty'} after {drained_after:.0f} s.")
    exits = ", ".join(f"{at - began:.0f} s" for at in worker.exits) or "none"
    print(f"\nWorker exits by itself (each followed by a new worker, as a supervisor would): {exits}.")
    report_jobs([worker_log])
    signed_up = [address for client in clients for address in client.signups]
    attempts = sum(client.signup_attempts for client in clients)
    print(f"\nSignups: {attempts} started, {len(signed_up)} answered with a redirect.")
    report_emails(sink, signed_up, learners)
    print(f"\nLogs (worker, web, beat) kept in {workdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
