"""The shared cast and the real pieces: PostgreSQL, Redis and a Celery worker in this process.

Each test belongs to one tier, by marker: `browser` (tests/browser), `fault` (tests/faults),
`integration` (a database, a worker, a web process or another real service through a fixture,
or a module that starts programs), and `unit` (the rest: plain code, which `make test-fast` runs on
the embedded defaults). A module that reaches a service in another way says its tier with `pytestmark`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping, which start_worker checks
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.worker import WorkController
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from pytest_django import Settings
from pytest_httpserver import HTTPServer

from accounts.models import User
from drillquiz.celery import app
from tests.factories import make_user
from tests.processes import WebServer, free_port
from tests.sweep.world import World, build_world

TIERS = ("unit", "integration", "browser", "fault")
FOLDER_TIERS = {"browser": "browser", "faults": "fault"}
# Fixtures that bring a real service: PostgreSQL, Redis, a worker, a web process, an SMTP server.
SERVICE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "live_server",
    "celery_worker",
    "web_server",
    "smtp_server",
    "broker_down",
}


def starts_programs(module: object) -> bool:
    """Whether a test module runs other programs (subprocess, or tests.processes' helpers)."""
    return any(
        getattr(value, "__name__", None) == "subprocess" or getattr(value, "__module__", None) == "tests.processes"
        for value in vars(module).values()
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        folder = Path(item.path).relative_to(Path(__file__).parent).parts[0]
        if folder in FOLDER_TIERS:
            item.add_marker(FOLDER_TIERS[folder])
        elif (
            item.get_closest_marker("django_db")
            or SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
            or (isinstance(item, pytest.Function) and starts_programs(item.module))
        ):
            item.add_marker("integration")
        else:
            item.add_marker("unit")


def pytest_collection_finish(session: pytest.Session) -> None:
    # Past the unit tier the suite proves behaviour on the real services; on the embedded defaults
    # it would prove less.
    if all(item.get_closest_marker("unit") for item in session.items):
        return
    if not settings.DATABASES["default"]["ENGINE"].endswith(".postgresql"):
        pytest.exit("error: tests need PostgreSQL; run them with `make test` (it sets DATABASE_URL).", 2)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.exit("error: tests need Redis as broker; run them with `make test`.", 2)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Every test starts with an empty cache (Redis database 1): no translation or lock of another test."""
    cache.clear()


@pytest.fixture
def learner(db: None) -> User:
    return make_user("learner")


@pytest.fixture
def other_learner(db: None) -> User:
    return make_user("other")


class ThreadWorker(TestWorkController):
    """Celery's test worker, closing its thread's database connections when it stops: they are the
    thread's own, and would stay open after it (one per test, and the test database could not be dropped)."""

    def start(self) -> None:
        try:
            super().start()
        finally:
            connections.close_all()


@pytest.fixture
def world(db: None) -> World:
    """The sweeps' world (tests/sweep/world.py): learners with their rows, a superuser, and a row of every
    model Admin shows."""
    return build_world(with_staff=True)


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[WorkController]:
    """A real worker consuming every queue from Redis, in a thread of this process, for one test.

    It sees only committed rows, so it comes with a transactional database; it starts on empty
    queues and stops before the database is flushed, so no job of one test runs in another.
    """
    app.control.purge()
    with start_worker(
        app, pool="solo", loglevel="WARNING", perform_ping_check=True, WorkController=ThreadWorker
    ) as worker:
        yield worker


class Inbox:
    """A real SMTP server's handler (aiosmtpd) that keeps what it receives, and can misbehave on cue."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused_addresses: set[str] = set()
        self.accept_only = -1  # after this many messages, answer DATA with a temporary failure

    async def handle_RCPT(
        self, server: object, session: object, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused_addresses:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        if self.accept_only == len(self.messages):
            return "451 4.3.0 Mail server busy, try again later"
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    @staticmethod
    def body(message: EmailMessage, subtype: str = "plain") -> str:
        part = message.get_body(preferencelist=(subtype,))
        assert part is not None, f"no text/{subtype} part"
        content: str = part.get_content()  # a text part's content is its decoded text
        return content

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


class MailServer:
    """A real SMTP server (aiosmtpd) on a fixed local port that a test can stop and start again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


AnyMailServer = TypeVar("AnyMailServer", bound=MailServer)


@contextmanager
def sending_to(settings: Settings, server: AnyMailServer) -> Iterator[AnyMailServer]:
    """Start server and point the site's email at it (with quick retries) for a with block."""
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_RETRY_BASE_SECONDS = 0.05
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[MailServer]:
    """A real SMTP server in this process; the site (and the in-process worker) sends to it."""
    with sending_to(settings, MailServer()) as server:
        yield server


@pytest.fixture
def inbox(smtp_server: MailServer) -> Inbox:
    return smtp_server.inbox


@pytest.fixture
def slack_webhook(httpserver: HTTPServer, settings: Settings) -> HTTPServer:
    """A real local HTTP server standing in for Slack's incoming webhook at /hook."""
    settings.SLACK_WEBHOOK_URL = httpserver.url_for("/hook")
    settings.SLACK_RETRY_BASE_SECONDS = 0.05
    return httpserver


@pytest.fixture
def web_server(transactional_db: None, tmp_path: Path) -> Iterator[WebServer]:
    """The real ASGI web process on the test database, with live notifications through Redis."""
    server = WebServer(tmp_path / "web.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point Celery at a closed port (it reads CELERY_BROKER_URL before its own settings), with a
    fresh connection pool on the way in and out so no other test inherits the dead one."""
    forget_broker_connections()
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:hunter2-broker-password@127.0.0.1:1/0")
    yield
    monkeypatch.undo()
    forget_broker_connections()


def forget_broker_connections() -> None:
    # Celery caches its connection and producer pools on first use; it has no public reset.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
