"""Security checks: CSRF on every form, Admin and Flower closed to strangers, no user sees another's data,
no secret in logs, task records, Flower or error pages, and only JSON task messages are run.

URLs are found by walking the resolver, so a new form or Admin page is covered without editing this
file; a new path parameter or Admin model fails here until the sweeps' world (tests/sweep) gives it a real row.
`manage.py check --deploy --fail-level WARNING` with production settings is checked in
tests/drillquiz/test_settings.py and, with the production overlay's configuration, tests/deploy/test_settings.py.
"""

import base64
import json
import logging
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from celery.worker import WorkController
from django.conf import settings
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter
from django_celery_results.models import TaskResult
from pytest_django import Settings
from pytest_httpserver import HTTPServer

from accounts import services as account_services
from accounts.models import User
from accounts.tasks import send_welcome_email
from drillquiz.celery import app
from jobs import services as job_services
from jobs.tasks import ping
from notifications import services as notification_services
from notifications import stream
from notifications.models import Level, Notification
from tests.conftest import Inbox, MailServer, forget_broker_connections, sending_to
from tests.deploy.test_processes import http_status
from tests.factories import make_user
from tests.notifications.test_stream import Stream
from tests.processes import CELERY, WebServer, free_port, process_env, running, wait_until, worker_process
from tests.sweep.routes import admin_routes, all_routes, url_of
from tests.sweep.world import World, database_state

# --- CSRF

# Views that take a POST without a CSRF token, each with the reason it is safe.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST with no session or token; the signed token in
    # the URL is the credential, and turning reminders off is all it does (a tampered one changes
    # nothing: tests/accounts/test_welcome_and_unsubscribe.py).
    "accounts:unsubscribe",
}


def test_every_url_refuses_a_post_without_the_csrf_token_and_changes_nothing(world: World) -> None:
    assert world.staff is not None
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff)
    exempt = {route.name for route in all_routes() if getattr(route.view, "csrf_exempt", False)}
    checked, problems = 0, []

    for route in all_routes():
        if route.name in CSRF_EXEMPT:
            continue
        url = url_of(route, world)
        before = database_state()
        response = client.post(url, {"title": "changed", "language": "en", "action": "delete_selected"})
        checked += 1
        if response.status_code != 403 or b"CSRF verification failed" not in response.content:
            problems.append(f"{url}: {response.status_code}")
        elif database_state() != before:
            problems.append(f"{url}: refused, yet the database changed")

    assert exempt == CSRF_EXEMPT, "a view is csrf_exempt without a reason in CSRF_EXEMPT"
    assert problems == []
    assert checked > 100  # every Admin page and every page of ours


def test_the_same_post_with_the_token_goes_through(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    client.get("/notifications/")
    assert Notification.objects.filter(user=world.learner, read=False).exists()

    response = client.post("/notifications/read-all", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302
    assert not Notification.objects.filter(user=world.learner, read=False).exists()


# --- Admin and Flower refuse strangers


def test_every_admin_url_refuses_anonymous_visitors(client: Client, world: World) -> None:
    routes = admin_routes()
    problems = []

    for route in routes:
        url = url_of(route, world)
        for method in (client.get, client.post):
            response = method(url)
            location = response.get("Location", "")
            if route.name == "admin:login":  # public by nature: the form, and nothing else
                refused = response.status_code == 200 and b'name="password"' in response.content
            elif response.status_code == 302:
                # Logging out when not logged in goes to the index, which asks to log in.
                refused = location.startswith("/admin/login/?next=") or (
                    route.name == "admin:logout" and location == "/admin/"
                )
            else:
                refused = response.status_code in {403, 404, 405}
            if not refused:
                problems.append(f"{method.__name__.upper()} {url}: {response.status_code} {location}")

    assert problems == []
    assert len(routes) > 100


FLOWER_PAGES = ["/", "/tasks", "/workers", "/broker", "/api/tasks", "/api/workers"]


def fetch(url: str, headers: dict[str, str]) -> tuple[int, str]:
    """Status and body of a GET to one of our local processes."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own local process
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


# --- Secrets: real-looking values for every kind, set where the site reads them.


@dataclass
class Secrets:
    values: dict[str, str]  # what -> the secret
    redis_url: Callable[[int], str]  # a URL of our Redis, with the password, for a database number
    env: dict[str, str]  # the same secrets as a process's environment

    def leaks(self, places: dict[str, str]) -> dict[str, list[str]]:
        """Which secrets each place shows, for the places that show any."""
        found = {
            place: [what for what, value in self.values.items() if value in text] for place, text in places.items()
        }
        return {place: shown for place, shown in found.items() if shown}


@pytest.fixture
def redis_login() -> Iterator[tuple[str, str]]:
    """A Redis user with a password (an ACL user, so the suite's passwordless default user stays)."""
    name, password = f"drillquiz-security-{secrets.token_hex(4)}", f"hunter2-{secrets.token_urlsafe(16)}"
    with redis.Redis.from_url(urlsplit(app.conf.broker_url)._replace(path="/0").geturl()) as server:
        server.acl_setuser(
            name, enabled=True, passwords=[f"+{password}"], keys=["*"], channels=["*"], commands=["+@all"]
        )
        yield name, password
        server.acl_deluser(name)


def make_secrets(redis_login: tuple[str, str], webhook_url: str) -> Secrets:
    user, password = redis_login
    broker = urlsplit(app.conf.broker_url)

    def redis_url(db: int) -> str:
        return broker._replace(netloc=f"{user}:{password}@{broker.hostname}:{broker.port}", path=f"/{db}").geturl()

    values = {
        "SECRET_KEY": f"django-{secrets.token_urlsafe(40)}",
        "SLACK_WEBHOOK_URL": webhook_url,
        "the Slack webhook's token": urlsplit(webhook_url).path,
        "TRANSLATION_API_KEY": f"sk-{secrets.token_urlsafe(24)}",
        "EMAIL_HOST_PASSWORD": f"mail-{secrets.token_urlsafe(16)}",
        "the Redis password": password,
        "the database password": f"pg-{secrets.token_urlsafe(16)}",
    }
    env = {
        "SECRET_KEY": values["SECRET_KEY"],
        "SLACK_WEBHOOK_URL": webhook_url,
        "TRANSLATION_API_KEY": values["TRANSLATION_API_KEY"],
        "EMAIL_URL": f"smtp://drillquiz:{values['EMAIL_HOST_PASSWORD']}@127.0.0.1:{free_port()}",
        "CELERY_BROKER_URL": redis_url(int(broker.path.strip("/") or 0)),
        # The suite's own cache database (CACHE_URL), not a fixed one another run may share.
        "CACHE_URL": redis_url(int(urlsplit(settings.CACHES["default"]["LOCATION"]).path.strip("/") or 1)),
        "BACKUP_DATABASE_URL": f"postgres://backup:{values['the database password']}@127.0.0.1:5432/drillquiz",
    }
    return Secrets(values, redis_url, env)


def webhook_token_url(server: HTTPServer) -> str:
    return server.url_for(f"/services/T0DRILLQZ/B0SECURITY/{secrets.token_urlsafe(24)}")


@pytest.fixture
def configured_secrets(
    settings: Settings, slack_webhook: HTTPServer, redis_login: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Secrets]:
    """The site configured as in production, every secret real-looking: the worker's broker and the
    cache need the Redis password, the Slack webhook is a local server with a token in its path."""
    found = make_secrets(redis_login, webhook_token_url(slack_webhook))
    slack_webhook.expect_request(urlsplit(found.values["SLACK_WEBHOOK_URL"]).path).respond_with_data("ok")
    settings.SECRET_KEY = found.values["SECRET_KEY"]
    settings.SLACK_WEBHOOK_URL = found.values["SLACK_WEBHOOK_URL"]
    settings.TRANSLATION_API_KEY = found.values["TRANSLATION_API_KEY"]
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "drillquiz", found.values["EMAIL_HOST_PASSWORD"]
    settings.CELERY_BROKER_URL = found.env["CELERY_BROKER_URL"]
    settings.EVENTS_REDIS_URL = found.env["CACHE_URL"]
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": found.env["CACHE_URL"]}}
    settings.BACKUP_DATABASE_URL = found.env["BACKUP_DATABASE_URL"]
    # Celery reads CELERY_BROKER_URL from the environment before its settings; it and the live
    # notifications keep their Redis connections, made with the password, unless told to forget them.
    forget_broker_connections()
    stream.redis_client.cache_clear()
    monkeypatch.setenv("CELERY_BROKER_URL", found.env["CELERY_BROKER_URL"])
    yield found
    monkeypatch.undo()
    forget_broker_connections()
    stream.redis_client.cache_clear()


class MailServerWithLogin(MailServer):
    """The real SMTP server, asking for the login the site is configured with (AUTH before MAIL)."""

    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self.login = (user.encode(), password.encode())
        self.accepts_login = True

    def start(self) -> None:
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        self.controller.start()

    def authenticate(self, server: object, session: object, envelope: object, mechanism: str, data: Any) -> AuthResult:
        given = (data.login, data.password) if isinstance(data, LoginPassword) else None
        # Not handled here: aiosmtpd then answers a refusal with 535 itself.
        return AuthResult(success=self.accepts_login and given == self.login, handled=False)


@pytest.fixture
def mail_server_with_login(settings: Settings, configured_secrets: Secrets) -> Iterator[MailServerWithLogin]:
    with sending_to(settings, MailServerWithLogin(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)) as server:
        yield server


@pytest.fixture
def console_log() -> Iterator[StringIO]:
    """What the site's own log handler (LOGGING's console: its format and filters) writes."""
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert isinstance(handler, logging.StreamHandler)
    written = StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def flower_sees_a_ping(flower: str, authorization: dict[str, str]) -> str:
    """The id of a ping Flower shows, sending another every 2 s until it shows one.

    A worker sends task events only once Flower's enable_events broadcast reached it, and Flower
    sees them only once its event receiver listens; a task sent before both is never shown. Neither
    is visible from outside, so the proof is a task Flower saw.
    """
    sent: list[str] = []
    shown: list[str] = []
    last_sent = 0.0

    def shows_one() -> bool:
        nonlocal last_sent
        if time.monotonic() - last_sent >= 2:
            sent.append(ping.delay("from the security test").id)
            last_sent = time.monotonic()
        listed = fetch(f"{flower}/api/tasks", authorization)[1]
        shown[:] = [task_id for task_id in sent if task_id in listed]
        return bool(shown)

    wait_until(shows_one, 60, "Flower to see one of the pings")
    return shown[0]


def test_flower_asks_for_its_login_on_every_page_and_shows_no_secret(
    transactional_db: None, redis_login: tuple[str, str], httpserver: HTTPServer, tmp_path: Path
) -> None:
    found = make_secrets(redis_login, webhook_token_url(httpserver))
    login = f"admin:{secrets.token_urlsafe(12)}"
    authorization = {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()}
    port = free_port()
    flower = f"http://127.0.0.1:{port}"
    flower_env = {"FLOWER_BASIC_AUTH": login, "FLOWER_ADDRESS": "127.0.0.1", "FLOWER_PORT": str(port)}
    env = {**process_env(), **found.env, **flower_env}
    node = f"security-{secrets.token_hex(3)}@localhost"
    logs = [tmp_path / "worker.log", tmp_path / "flower.log"]
    app.control.purge()

    with worker_process(env, logs[0], node), running([CELERY, "-A", "drillquiz", "flower"], env, logs[1]):
        wait_until(lambda: http_status(f"{flower}/healthcheck", 2) == 200, 30, "Flower to answer")
        task_id = flower_sees_a_ping(flower, authorization)
        pages = [*FLOWER_PAGES, f"/task/{task_id}", f"/worker/{node}", "/api/workers?refresh=1"]
        anonymous = {page: http_status(flower + page, 10) for page in pages}
        logged_in = {page: fetch(flower + page, authorization) for page in pages}

    assert anonymous == dict.fromkeys(pages, 401)
    assert {page: status for page, (status, _) in logged_in.items()} == dict.fromkeys(pages, 200)
    # The worker's page lists its configuration: every setting, the secret ones too.
    assert "SLACK_WEBHOOK_URL" in logged_in[f"/worker/{node}"][1]
    assert found.leaks({page: body for page, (_, body) in logged_in.items()}) == {}
    assert found.leaks({log.name: log.read_text(errors="replace") for log in logs}) == {}


def everything_stored() -> str:
    """Every row of every table as text: task arguments and results, notifications, the outbox..."""
    return json.dumps(database_state(), default=str, ensure_ascii=False)


def failed(task_name: str) -> bool:
    return TaskResult.objects.filter(task_name=task_name, status="FAILURE").exists()


def slack_posts_logged(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.name == "urllib3.connectionpool" and "POST" in r.getMessage() for r in caplog.records)


def test_no_secret_reaches_logs_task_records_or_messages_when_real_tasks_run(
    client: Client,
    configured_secrets: Secrets,
    mail_server_with_login: MailServerWithLogin,
    slack_webhook: HTTPServer,
    celery_worker: WorkController,
    console_log: StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for outside_server in ("werkzeug", "mail.log"):  # the stand-ins for Slack and the mail server
        caplog.set_level(logging.WARNING, logger=outside_server)
    caplog.set_level(logging.DEBUG)  # last, as it sets the capturing handler's level: HTTP clients log paths
    make_user("admin", is_staff=True)
    inbox = mail_server_with_login.inbox

    # A learner signs up: the welcome email goes out through the SMTP login.
    signup = {"username": "newbie", "email": "newbie@example.com", "language": "en"}
    signup |= {"password1": "a long enough pass phrase", "password2": "a long enough pass phrase"}
    assert client.post("/accounts/signup/", signup).status_code == 302
    wait_until(lambda: len(inbox.messages) == 1, 20, "the welcome email")
    # A Slack alert is posted to the webhook.
    notification_services.alert_slack(Level.WARNING, "Disk almost full", fields={"host": "db-1"})
    wait_until(lambda: len(slack_webhook.log) == 1, 20, "the Slack alert")
    # The mail server refuses the login: the next welcome email fails for good, through the dead-letter path.
    mail_server_with_login.accepts_login = False
    account_services.register_user(
        username="second", email="second@example.com", password="x" * 12, language="en", time_zone="UTC"
    )
    wait_until(lambda: failed("accounts.tasks.send_welcome_email"), 30, "the welcome task to fail for good")
    wait_until(lambda: len(slack_webhook.log) == 2, 20, "the dead-letter Slack alert")
    # The webhook has the request before the worker thread reads the answer and logs it: wait for
    # those last log lines, or a secret in them would go unseen.
    wait_until(
        lambda: slack_posts_logged(caplog) == 2 and "failed for good" in console_log.getvalue(),
        10,
        "the last log lines",
    )

    places = {
        "the log handler's output": console_log.getvalue(),
        "captured log records": caplog.text + "".join(f"{r.getMessage()}{r.exc_text or ''}" for r in caplog.records),
        "the database (task arguments and results, notifications, ...)": everything_stored(),
        "what Slack received": "".join(request.get_data(as_text=True) for request, _ in slack_webhook.log),
        "the emails": "".join(message.as_string() for message in inbox.messages),
    }
    assert configured_secrets.leaks(places) == {}
    # What was searched holds what it should: the tasks ran, failed and were logged as they did.
    assert "SMTPAuthenticationError" in TaskResult.objects.get(status="FAILURE").result
    assert "failed for good" in places["the log handler's output"]
    assert any(r.name == "urllib3.connectionpool" and "POST" in r.getMessage() for r in caplog.records)
    assert "Task failed: accounts.tasks.send_welcome_email" in places["what Slack received"]


def test_error_pages_show_no_secret_even_with_debug_on(
    client: Client, db: None, settings: Settings, configured_secrets: Secrets, console_log: StringIO
) -> None:
    # A view that fails with the password-carrying broker URL in hand (the site has no such page left).
    settings.ROOT_URLCONF = "tests.faults.error_urls"
    client.raise_request_exception = False
    exam_page = "/fails/"

    settings.DEBUG = False
    pages = {
        "500": client.get(exam_page, HTTP_ACCEPT_LANGUAGE="ko"),
        "404": client.get("/no-such-page/"),
    }
    settings.DEBUG = True
    pages |= {
        "technical 500": client.get(exam_page, HTTP_ACCEPT_LANGUAGE="ko", HTTP_ACCEPT="text/html"),
        "technical 500 as text": client.get(exam_page, HTTP_ACCEPT_LANGUAGE="ko", HTTP_ACCEPT="text/plain"),
        "technical 404": client.get("/no-such-page/"),
    }

    statuses = {name: page.status_code for name, page in pages.items()}
    assert statuses == {
        "500": 500,
        "404": 404,
        "technical 500": 500,
        "technical 500 as text": 500,
        "technical 404": 404,
    }
    shown = {name: page.content.decode() for name, page in pages.items()}
    shown["the logged errors"] = console_log.getvalue()
    assert configured_secrets.leaks(shown) == {}
    # The technical page shows the settings and the failing frames' variables, only cleansed.
    for setting in ("CELERY_BROKER_URL", "CACHES", "EVENTS_REDIS_URL", "SLACK_WEBHOOK_URL", "BACKUP_DATABASE_URL"):
        assert f"{setting} = " in shown["technical 500 as text"], setting
    assert "Local vars" in shown["technical 500"]
    assert "Error in formatting" not in shown["technical 500"]
    assert "ConnectionRefusedError" in shown["the logged errors"]


def connect_to_broker(broker_url: str, options: dict[str, str]) -> None:
    raise ConnectionRefusedError("the broker did not answer")


def technical_500_of(request: HttpRequest, call: Callable[[], None]) -> str:
    """The DEBUG error page of the exception call raises; the page shows every frame's variables."""
    try:
        call()
    except ConnectionRefusedError:
        return ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    raise AssertionError("it did not fail")


def test_a_failing_frames_variables_are_shown_without_their_secrets(
    rf: RequestFactory, settings: Settings, configured_secrets: Secrets
) -> None:
    options = {"password": configured_secrets.values["the Redis password"]}

    page = technical_500_of(rf.get("/"), partial(connect_to_broker, settings.CELERY_BROKER_URL, options))

    assert "broker_url" in page
    assert configured_secrets.leaks({"the page": page}) == {}


class Canary:
    """Unpickling it creates a file: whoever deserialises the message leaves a trace."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return open, (str(self.path), "w")


def test_a_pickled_task_message_is_refused_by_the_worker_and_never_run(
    celery_worker: WorkController, inbox: Inbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target, witness = make_user("target"), make_user("witness")
    canary = tmp_path / "unpickled"

    pickled = app.send_task(
        send_welcome_email.name, args=[target.pk], kwargs={"canary": Canary(canary)}, serializer="pickle"
    )
    # The same queue, after it: once this one is done, the worker has dealt with the pickled one.
    job_services.enqueue(send_welcome_email.name, witness.pk)
    wait_until(lambda: len(inbox.messages) == 1, 20, "the JSON task's email")

    assert inbox.messages[0]["To"] == witness.email
    assert not canary.exists()
    target.refresh_from_db()
    assert target.welcome_email_sent is None
    assert not TaskResult.objects.filter(task_id=pickled.id).exists()
    assert any("untrusted content of type pickle" in record.getMessage() for record in caplog.records)
    with redis.Redis.from_url(app.conf.broker_url) as broker:
        assert broker.llen("notifications") == 0  # refused for good, not put back to be tried again


# --- No user sees another's data (the stream, job status and mark-read have their own tests in
# tests/notifications/test_stream.py and tests/jobs/test_status.py; these cover what those do not).


def test_the_notification_list_and_bell_show_only_ones_own(client: Client, learner: User, other_learner: User) -> None:
    notification_services.notify_users([other_learner.pk], Level.ERROR, "Other's private alert", body="their body")
    notification_services.notify_users([learner.pk], Level.INFO, "Mine")
    client.force_login(learner)

    pages = [client.get("/notifications/").content.decode(), client.get("/").content.decode()]

    assert all("Mine" in page for page in pages)
    assert not any("Other's private alert" in page or "their body" in page for page in pages)


def test_marking_another_users_notification_read_reveals_nothing(
    client: Client, learner: User, other_learner: User
) -> None:
    (theirs,) = notification_services.notify_users([other_learner.pk], Level.INFO, "Other's private alert")
    client.force_login(learner)

    answer = client.post(f"/notifications/{theirs.pk}/read", HTTP_ACCEPT="application/json")

    assert answer.status_code == 404
    assert "Other's private alert" not in answer.content.decode()
    assert Notification.objects.get(pk=theirs.pk).read is False


def test_a_finished_job_of_another_user_is_not_found_and_shows_nothing_of_it(
    client: Client, celery_worker: WorkController
) -> None:
    owner, stranger = make_user("owner"), make_user("stranger")
    job = job_services.start_job(owner, ping.name, "owner's private note")
    wait_until(lambda: TaskResult.objects.filter(task_id=str(job.task_id), status="SUCCESS").exists(), 20, "the job")

    client.force_login(stranger)
    answer = client.get(f"/jobs/{job.task_id}/")
    client.force_login(owner)
    owners_view = client.get(f"/jobs/{job.task_id}/")

    assert (answer.status_code, answer.json()) == (404, {"error": "No such job."})
    assert owners_view.json()["result"]["note"] == "owner's private note"


def test_a_stream_replay_sends_only_ones_own_notifications(web_server: WebServer) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    (bobs_earlier,) = notification_services.notify_users([bob.pk], Level.INFO, "Bob's earlier")
    notification_services.notify_users([alice.pk], Level.INFO, "Alice's")

    bobs_stream = Stream(web_server, bob, last_event_id=0)  # "send me everything from the start"
    try:
        (bobs_live,) = notification_services.notify_users([bob.pk], Level.INFO, "Bob's live")
        received = [bobs_stream.next()[0], bobs_stream.next()[0]]
        assert received == [bobs_earlier.pk, bobs_live.pk]
        assert bobs_stream.nothing_within(1)
    finally:
        bobs_stream.close()
