"""Bad input everywhere gets a clear answer and loses nothing (issue #10, part 6).

Hypothesis throws garbage at every URL, form, management command and Celery task of ours: text with
NUL, other scripts' digits and thousands of characters, integers past any column, JSON of the wrong
shape. The answer is always a clear one (a 4xx page or JSON error, a form error, a CommandError of one
line, InvalidTaskArguments), never a 500 or a traceback, and an error writes nothing.

The targets are read from the code (the URL resolver, the admin registry, our management commands,
CELERY_TASK_ROUTES): a new one without a case here fails a `test_every_..._has_a_case` test.

Each example runs in a savepoint that is rolled back, with constraints checked at once as they are
outside the test's transaction (views and tasks run in autocommit), so a row that points nowhere
fails the example instead of vanishing with the rollback.

The world, the routes and the garbage are shared with the security sweep (tests/sweep/). What the sweep
found is pinned by a regression test in the test module of the app it was found in.
"""

import inspect
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import hypothesis
import pytest
from asgiref.sync import async_to_sync
from celery import Task
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand
from django.db.models import Model
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import Resolver404, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_celery_results.models import TaskResult
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from pytest_django import Settings

from accounts.models import User
from accounts.services import UNSUBSCRIBE_SALT
from backup.errors import BackupError
from backup.models import Backup
from drillquiz.celery import app as celery_app
from drillquiz.payloads import InvalidTaskArguments
from jobs.services import registered_tasks
from quiz import exam_io
from quiz.models import Choice, Exam, Question
from tests.factories import PASSWORD, make_exam
from tests.processes import ROOT, process_env
from tests.sweep.forms import FormFields
from tests.sweep.routes import admin_routes, site_routes
from tests.sweep.strategies import (
    NASTY,
    any_segment,
    big_ids,
    cookie_text,
    garbage,
    header_text,
    json_text,
    json_values,
    path_segment,
)
from tests.sweep.world import World, build_world, example_savepoint, row_counts
from translations import registry

FUZZ = hypothesis.settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = hypothesis.settings(FUZZ, max_examples=20)

OUR_APPS = ("accounts", "quiz", "translations", "notifications", "jobs", "backup", "monitoring")


# --- Sending garbage over HTTP ---------------------------------------------------------------------


@dataclass(frozen=True)
class Garbage:
    """One request's worth of bad input."""

    method: str
    query: list[tuple[str, str]]
    data: dict[str, Any]
    body: str  # multipart, urlencoded, json or raw
    raw: bytes
    content_type: str
    headers: dict[str, str]
    cookies: dict[str, str]


# Not Host or Content-Length: the ASGI server refuses a bad one before Django sees the request.
HEADERS = ["Last-Event-ID", "Accept", "Accept-Language", "Referer", "X-Requested-With", "If-None-Match"]
COOKIES = ["sessionid", "csrftoken", "django_language", "messages"]
RAW_CONTENT_TYPES = [
    "application/json",
    "multipart/form-data; boundary=nothing-like-it",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/octet-stream",
]


def garbage_requests(
    methods: tuple[str, ...],
    keys: list[str],
    values: list[str],
    params: Sequence[str] = (),
) -> st.SearchStrategy[Garbage]:
    key = st.sampled_from(keys) | garbage if keys else garbage
    value = st.sampled_from(values) | garbage if values else garbage
    param = st.sampled_from([*params, "page", "q", "since", "next"]) | garbage
    return st.builds(
        Garbage,
        method=st.sampled_from(methods),
        query=st.lists(st.tuples(param, value), max_size=4),
        data=st.dictionaries(key, value | st.lists(value, max_size=3), max_size=6),
        body=st.sampled_from(["multipart", "urlencoded", "json", "raw"]),
        raw=st.binary(max_size=200),
        content_type=st.sampled_from(RAW_CONTENT_TYPES),
        headers=st.dictionaries(st.sampled_from(HEADERS), header_text, max_size=3),
        cookies=st.dictionaries(st.sampled_from(COOKIES), cookie_text, max_size=2),
    )


def send(client: Client, path: str, bad: Garbage) -> HttpResponseBase:
    for name, value in bad.cookies.items():
        client.cookies[name] = value
    if bad.query:
        path = f"{path}?{urlencode(bad.query)}"
    if bad.method not in {"POST", "PUT", "PATCH"}:
        return client.generic(bad.method, path, headers=bad.headers)
    if bad.body == "multipart":
        body, content_type = encode_multipart(BOUNDARY, bad.data), MULTIPART_CONTENT
    elif bad.body == "urlencoded":
        body, content_type = urlencode(bad.data, doseq=True).encode(), "application/x-www-form-urlencoded"
    elif bad.body == "json":
        body, content_type = json.dumps(bad.data).encode(), "application/json"
    else:
        body, content_type = bad.raw, bad.content_type
    return client.generic(bad.method, path, body, content_type, headers=bad.headers)


def is_json_api(path: str) -> bool:
    try:
        return resolve(urlsplit(path).path).namespace == "jobs"
    except Resolver404:
        return False


def answer_is_clear(response: HttpResponseBase, before: dict[str, int], method: str, path: str) -> None:
    """No 500; an error wrote nothing; an error of the JSON API says what went wrong, in JSON."""
    what = f"{method} {path[:200]}"
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    if response.status_code < 400:
        return
    assert row_counts() == before, f"{what} answered {response.status_code} but wrote rows"
    if method != "HEAD" and (is_json_api(path) or response.get("Content-Type") == "application/json"):
        content = response.content if isinstance(response, HttpResponse) else b""
        assert "error" in json.loads(content or b"{}"), f"{what}: {response.status_code} without a JSON message"


# --- Every URL of the site -------------------------------------------------------------------------


PathMaker = Callable[[World, st.DataObject], str]


@dataclass(frozen=True)
class Case:
    """How to reach one URL pattern with garbage: its name, a path (drawn), the form fields it reads."""

    name: str
    path: PathMaker
    fields: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("GET", "POST")
    before: Callable[[Client, World], None] | None = None
    label: str = ""


def fixed(path: str) -> PathMaker:
    return lambda world, data: path


def path_with(template: str, *parts: Callable[[World], st.SearchStrategy[Any]]) -> PathMaker:
    """A path whose {} places are drawn from strategies made from the world."""
    return lambda world, data: template.format(*(data.draw(part(world)) for part in parts))


def attempt_ids(world: World) -> st.SearchStrategy[str]:
    mine = [world.open_attempt.pk, world.finished_attempt.pk, world.others_attempt.pk]
    return st.sampled_from([str(pk) for pk in mine]) | big_ids.map(str) | path_segment(garbage)


def exam_slugs(world: World) -> st.SearchStrategy[str]:
    known = st.sampled_from([world.exam.slug, world.draft.slug, "x" * 81])
    return known | st.from_regex(r"[-a-zA-Z0-9_]{1,90}", fullmatch=True) | path_segment(garbage)


def unsubscribe_tokens(world: World) -> st.SearchStrategy[str]:
    signed = [signing.dumps(pk, salt=UNSUBSCRIBE_SALT) for pk in (world.learner.pk, world.other.pk, 999_999_999)]
    tampered = [token[:-2] + "xx" for token in signed]
    return st.sampled_from(signed + tampered) | path_segment(garbage)


def reset_links(world: World, data: st.DataObject) -> str:
    uid = data.draw(
        st.sampled_from(
            [
                urlsafe_base64_encode(force_bytes(world.learner.pk)),
                urlsafe_base64_encode(b"99999999999999999999999"),
                urlsafe_base64_encode("²".encode()),
                urlsafe_base64_encode(b"\xff\xfe"),
            ]
        )
        | path_segment(garbage)
    )
    valid = default_token_generator.make_token(world.fresh(world.learner))
    token = data.draw(st.sampled_from([valid, "set-password"]) | garbage)
    return f"/accounts/reset/{uid}/{quote(token, safe='')}/"


def open_reset_link(client: Client, world: World) -> None:
    """Follow the emailed link first, so the garbage lands on the set-password form itself."""
    uid = urlsafe_base64_encode(force_bytes(world.learner.pk))
    response = client.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(world.fresh(world.learner))}/")
    assert response.status_code == 302


def set_password_page(world: World, data: st.DataObject) -> str:
    return f"/accounts/reset/{urlsafe_base64_encode(force_bytes(world.learner.pk))}/set-password/"


ANSWER_FIELDS = ("answer", "rating", "duration_ms")
CASES = [
    Case("quiz:home", fixed("/")),
    Case("quiz:exam-list", fixed("/exams/")),
    Case("quiz:exam-detail", path_with("/exams/{}/", exam_slugs)),
    Case("quiz:start", path_with("/exams/{}/start/", exam_slugs)),
    Case("quiz:history", fixed("/attempts/")),
    Case("quiz:progress", fixed("/progress/")),
    Case("quiz:take", path_with("/attempts/{}/", attempt_ids)),
    Case("quiz:answer", path_with("/attempts/{}/answer/", attempt_ids), ("question", "answer", "flagged")),
    Case("quiz:flag", path_with("/attempts/{}/flag/", attempt_ids), ("question", "flagged")),
    Case("quiz:result", path_with("/attempts/{}/result/", attempt_ids)),
    Case("quiz:retake", path_with("/attempts/{}/retake/", attempt_ids)),
    Case("quiz:reviews", fixed("/reviews/"), ANSWER_FIELDS),
    Case(
        "quiz:check-review",
        path_with("/reviews/{}/check/", lambda world: st.just(world.review.pk) | big_ids),
        ANSWER_FIELDS,
    ),
    Case(
        "quiz:grade-review",
        path_with("/reviews/{}/", lambda world: st.just(world.review.pk) | big_ids),
        ANSWER_FIELDS,
    ),
    Case(
        "quiz:study-settings",
        fixed("/reviews/settings/"),
        ("desired_retention", "new_cards_per_day", "reviews_per_day"),
    ),
    Case(
        "accounts:signup",
        fixed("/accounts/signup/"),
        ("username", "email", "password1", "password2", "language", "time_zone"),
    ),
    Case("accounts:login", fixed("/accounts/login/"), ("username", "password", "next")),
    Case("accounts:logout", fixed("/accounts/logout/"), ("next",)),
    Case(
        "accounts:profile",
        fixed("/accounts/profile/"),
        ("email", "language", "time_zone", "reminder_hour", "reminders_enabled"),
    ),
    Case("accounts:language", fixed("/accounts/language/"), ("language", "next")),
    Case("accounts:unsubscribe", path_with("/accounts/unsubscribe/{}/", unsubscribe_tokens)),
    Case("accounts:password_reset", fixed("/accounts/password-reset/"), ("email",)),
    Case("accounts:password_reset_done", fixed("/accounts/password-reset/sent/")),
    Case("accounts:password_reset_confirm", reset_links, ("new_password1", "new_password2")),
    Case(
        "accounts:password_reset_confirm",
        set_password_page,
        ("new_password1", "new_password2"),
        before=open_reset_link,
        label="set-password",
    ),
    Case("accounts:password_reset_complete", fixed("/accounts/reset/done/")),
    Case("notifications:list", fixed("/notifications/")),
    Case(
        "notifications:read",
        path_with(
            "/notifications/{}/read",
            lambda world: st.sampled_from([world.notification.pk, world.others_notification.pk]) | big_ids,
        ),
    ),
    Case("notifications:read-all", fixed("/notifications/read-all")),
    Case("jobs:start-ping", fixed("/jobs/ping/"), ("note",)),
    Case(
        "jobs:status",
        path_with("/jobs/{}/", lambda world: st.just(str(world.job.task_id)) | st.uuids().map(str) | any_segment),
    ),
    # Answered by jobs.health's middleware, not by a URL pattern.
    Case("healthz", fixed("/healthz")),
    Case("readyz", fixed("/readyz")),
]
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def test_every_url_of_the_site_has_a_case() -> None:
    site = {route.name for route in site_routes()}
    # The live stream never ends: test_the_stream_reads_any_last_event_id opens it without reading it.
    assert site - {case.name for case in CASES} == {"notifications:stream"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.name}{case.label and ' ' + case.label}")
@FUZZ
@given(data=st.data())
def test_no_url_answers_garbage_with_a_500_or_a_write(case: Case, world: World, data: st.DataObject) -> None:
    who = data.draw(st.sampled_from(["anonymous", "learner"]), label="who")
    keys = [*case.fields, *world.answer_keys]
    methods = ALL_METHODS if data.draw(st.booleans(), label="any method") else case.methods
    bad = data.draw(garbage_requests(methods, keys, world.plausible_values()))
    with example_savepoint():
        client = Client()
        if who == "learner":
            client.force_login(world.fresh(world.learner))
        if case.before is not None:
            case.before(client, world)
        path = case.path(world, data)
        before = row_counts()
        response = send(client, path, bad)
        answer_is_clear(response, before, bad.method, path)


# --- The live stream: any Last-Event-ID --------------------------------------------------------------


async def open_stream(user: User | None, header: str, since: str) -> HttpResponseBase:
    """Open the stream and close it unread: the view has parsed everything it reads by then."""
    client = AsyncClient()
    if user is not None:
        await client.aforce_login(user)
    response = await client.get("/notifications/stream", {"since": since}, headers={"Last-Event-ID": header})
    if isinstance(response, StreamingHttpResponse):
        await response.streaming_content.aclose()
    return response


@FEW
@given(data=st.data())
def test_the_stream_reads_any_last_event_id(world: World, data: st.DataObject) -> None:
    logged_in = data.draw(st.booleans(), label="logged in")
    header, since = data.draw(header_text, label="Last-Event-ID"), data.draw(garbage, label="since")
    with example_savepoint():
        user = world.fresh(world.learner) if logged_in else None
        response = async_to_sync(open_stream)(user, header, since)
        assert response.status_code == (200 if logged_in else 401)


# --- Admin, as staff -----------------------------------------------------------------------------------

STANDARD_ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")
ADMIN_ACTION_FIELDS = ["action", "_selected_action", "index", "select_across", "post", "_save", "_continue"]
# The management form and first row of the question page's inline of choices.
MANAGEMENT_FORM = ["TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"]
INLINE_FIELDS = [*MANAGEMENT_FORM, "0-id", "0-text", "0-is_correct", "0-order"]


def registered_admins() -> "list[tuple[type[Model], admin.ModelAdmin[Any]]]":
    """Every model's admin, so of any model."""
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def filter_params(model_admin: "admin.ModelAdmin[Any]") -> list[str]:
    """The query parameters the admin's list filters read, from its list_filter."""
    params = []
    for item in model_admin.list_filter:
        if isinstance(item, str):
            params += [f"{item}__exact", f"{item}__isnull", f"{item}__gte", f"{item}__lt", f"{item}__id__exact"]
        elif isinstance(item, tuple):
            params += [f"{item[0]}__exact", f"{item[0]}__isnull"]
        else:
            params.append(getattr(item, "parameter_name", ""))
    return params


def object_ids(model: type[Model]) -> list[str]:
    return [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]]


def staff_client(world: World) -> Client:
    assert world.staff is not None
    client = Client()
    client.force_login(world.fresh(world.staff))
    return client


@hypothesis.settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_admin_lists_take_garbage_queries_and_actions(world: World, data: st.DataObject) -> None:
    model, model_admin = data.draw(st.sampled_from(registered_admins()), label="admin")
    actions = [name for _function, name, _description in model_admin._get_base_actions()]
    values = [*actions, *object_ids(model), "0", "1", "yes"]
    bad = data.draw(garbage_requests(("GET", "POST"), ADMIN_ACTION_FIELDS, values, filter_params(model_admin)))
    path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    with example_savepoint():
        client = staff_client(world)
        before = row_counts()
        response = send(client, path, bad)
        answer_is_clear(response, before, bad.method, path)


@hypothesis.settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_admin_object_pages_take_garbage_ids_and_forms(world: World, data: st.DataObject) -> None:
    model, _ = data.draw(st.sampled_from(registered_admins()), label="admin")
    view = data.draw(st.sampled_from(["add", "change", "delete", "history", "password"]), label="view")
    object_id = data.draw(st.sampled_from(object_ids(model) or ["1"]) | big_ids.map(str) | path_segment(garbage))
    fields = [field.name for field in model._meta.get_fields() if field.concrete]
    inline = [f"choices-{name}" for name in INLINE_FIELDS]
    bad = data.draw(garbage_requests(("GET", "POST"), [*fields, *inline, *ADMIN_ACTION_FIELDS], object_ids(model)))
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    path = f"{base}add/" if view == "add" else f"{base}{object_id}/{view}/"
    with example_savepoint():
        client = staff_client(world)
        before = row_counts()
        response = send(client, path, bad)
        answer_is_clear(response, before, bad.method, path)


@pytest.mark.parametrize(
    "model",
    [model for model, model_admin in registered_admins() if model_admin.search_fields],
    ids=lambda model: model._meta.label,
)
def test_an_admin_search_with_nul_never_fails(world: World, model: type[Model]) -> None:
    path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"

    response = staff_client(world).get(path, {"q": "a\x00b"})

    assert response.status_code < 500


@pytest.mark.parametrize(
    ("model", "view"),
    [pytest.param(model, view) for model, _ in registered_admins() for view in ("add", "change")],
    ids=lambda value: value if isinstance(value, str) else value._meta.label,
)
def test_an_empty_form_never_fails_in_any_admin(world: World, model: type[Model], view: str) -> None:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    path = f"{base}add/" if view == "add" else f"{base}{(object_ids(model) or ['1'])[0]}/change/"
    before = row_counts()

    response = staff_client(world).post(path, {})

    answer_is_clear(response, before, "POST", path)


def admin_form_pages(world: World) -> Iterator[tuple[str, str, str]]:
    """(label, path, form id) of every add and change form of every admin, each change form of a real row."""
    for model, _ in registered_admins():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        ids = object_ids(model)
        assert ids, f"the world has no {model._meta.label}: its change form would test nothing"
        form_id = f"{model._meta.model_name}_form"
        yield f"{model._meta.label} add", f"{base}add/", form_id
        yield f"{model._meta.label} change", f"{base}{ids[0]}/change/", form_id


# Records are shown, never typed in: no add, and no change of what a worker wrote.
RECORDS = ["accounts.Lockout", "backup.Backup", "django_celery_results.GroupResult"]
RECORDS += ["django_celery_results.TaskResult", "jobs.OutboxMessage", "jobs.TrackedJob"]
RECORDS += ["quiz.LearnerParameters", "quiz.ReviewItem", "quiz.ReviewLog"]


def test_every_admin_add_and_change_form_renders_and_posts_back_as_it_is(
    world: World, record_property: Callable[[str, object], None]
) -> None:
    rendered, posted, refused = [], [], []
    for label, path, form_id in admin_form_pages(world):
        read_only = label.rsplit(" ", 1)[0] in RECORDS
        with example_savepoint():
            client = staff_client(world)
            page = client.get(path)
            if page.status_code == 403:  # no add page for a record
                refused.append(label)
                assert client.post(path, {}).status_code == 403, f"{label}: a POST got past the refusal"
                continue
            assert page.status_code == 200, f"{label}: GET answered {page.status_code}"
            rendered.append(label)
            before = row_counts()
            answer = client.post(path, FormFields.of(page.content.decode(), form_id))
            posted.append(label)
            # Saved (a redirect) or shown again with form errors (an add form left empty); a record's
            # page only shows it. Never a 500.
            expected = {403} if read_only else {200, 302}
            assert answer.status_code in expected, (
                f"{label}: POST of the form as rendered answered {answer.status_code}"
            )
            if answer.status_code != 302:
                assert row_counts() == before, f"{label}: an unsaved form wrote rows"
    record_property("admin forms rendered", len(rendered))
    record_property("admin forms posted", len(posted))
    record_property("admin add forms refused", len(refused))
    assert len(rendered) + len(refused) == 2 * len(registered_admins())
    assert {f"{label} add" for label in RECORDS} <= set(refused)


@FUZZ
@given(data=st.data())
def test_an_admin_form_with_one_field_garbled_is_a_form_error_or_saved(world: World, data: st.DataObject) -> None:
    pages = list(admin_form_pages(world))
    # Drawn as numbers, not from the page: what a page holds must not steer what Hypothesis draws.
    label, path, form_id = pages[data.draw(st.integers(0, len(pages) - 1), label="form")]
    field_number, value = data.draw(st.integers(0, 500), label="field"), data.draw(garbage, label="value")
    with example_savepoint():
        client = staff_client(world)
        page = client.get(path)
        form = FormFields.of(page.content.decode(), form_id) if page.status_code == 200 else {}
        if form:
            form[sorted(form)[field_number % len(form)]] = [value]
        before = row_counts()
        answer = client.post(path, form)
        answer_is_clear(answer, before, "POST", f"{path} ({label})")


@pytest.mark.parametrize(
    "encoded",
    ["%00", "a%00b", "%FF%FE", "%C3", "x" * 60_000, "%EF%BF%BD" * 20_000],
    ids=["NUL", "NUL inside", "not UTF-8", "a cut UTF-8 sequence", "60 KB", "60 KB of replacement characters"],
)
def test_every_admin_list_filter_and_search_survives_a_bad_value(world: World, encoded: str) -> None:
    client = staff_client(world)
    for model, model_admin in registered_admins():
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for param in ["q", "task_id", *filter_params(model_admin)]:
            response = client.get(f"{path}?{param}={encoded}")
            assert response.status_code in {200, 302, 400}, f"{path}?{param}=... answered {response.status_code}"
            # A search or an id matches nothing; an __isnull filter may take any text for "yes".
            searched = param == "q" and model_admin.search_fields
            if response.status_code == 200 and (searched or param == "task_id"):
                assert not response.context["cl"].result_count, f"{path}?{param}=... listed rows"


def test_a_nul_in_an_admin_filter_is_a_clear_400(world: World) -> None:
    response = staff_client(world).get("/admin/jobs/outboxmessage/", {"task_id": "\x00"})

    assert response.status_code == 400
    assert response.content == b"Query parameters may not contain NUL characters."


def test_junk_posted_to_the_task_result_add_page_writes_nothing(world: World) -> None:
    before = TaskResult.objects.count()

    response = staff_client(world).post("/admin/django_celery_results/taskresult/add/", {"task_id": "junk"})

    assert response.status_code == 403
    assert TaskResult.objects.count() == before


ADMIN_CASES = [
    Case("admin:index", fixed("/admin/")),
    Case("admin:login", fixed("/admin/login/"), ("username", "password", "next")),
    Case("admin:logout", fixed("/admin/logout/")),
    Case("admin:password_change", fixed("/admin/password_change/"), ("old_password", "new_password1", "new_password2")),
    Case("admin:password_change_done", fixed("/admin/password_change/done/")),
    Case("admin:autocomplete", fixed("/admin/autocomplete/"), methods=("GET",)),
    Case("admin:jsi18n", fixed("/admin/jsi18n/")),
    Case(
        "admin:view_on_site",
        path_with("/admin/r/{}/{}/", lambda world: big_ids.map(str) | any_segment, lambda world: any_segment),
    ),
    Case("admin:app_list", path_with("/admin/{}/", lambda world: st.sampled_from(OUR_APPS) | any_segment)),
    Case("admin:quiz_exam_import", fixed("/admin/quiz/exam/import/"), ("file",)),
    Case("admin:backup_backup_now", fixed("/admin/backup/backup/now/")),
    Case(
        "admin:backup_backup_download",
        path_with("/admin/backup/backup/{}/download/", lambda world: st.just(world.backup.pk) | big_ids),
    ),
    Case(
        "admin:auth_user_password_change",  # Django's UserAdmin names it so
        path_with(
            "/admin/accounts/user/{}/password/", lambda world: st.just(str(world.learner.pk)) | big_ids | any_segment
        ),
        ("password1", "password2", "usable_password"),
    ),
]


def test_every_admin_url_has_a_case() -> None:
    standard = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
        for model, _ in registered_admins()
        for view in STANDARD_ADMIN_VIEWS
    }
    names = {route.name for route in admin_routes() if route.named}
    assert names - standard - {case.name for case in ADMIN_CASES} == set()


@pytest.mark.parametrize("case", ADMIN_CASES, ids=lambda case: case.name)
@FEW
@given(data=st.data())
def test_no_other_admin_page_answers_garbage_with_a_500_or_a_write(
    case: Case, world: World, data: st.DataObject
) -> None:
    bad = data.draw(garbage_requests(ALL_METHODS, list(case.fields), ["learner", "staff", PASSWORD, "quiz", "exam"]))
    with example_savepoint():
        client = staff_client(world)
        path = case.path(world, data)
        before = row_counts()
        response = send(client, path, bad)
        answer_is_clear(response, before, bad.method, path)


# --- Exam files: the import command and the admin import page ------------------------------------------

fine_text = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=30).filter(str.strip)
fine_choices = st.lists(st.fixed_dictionaries({"text": fine_text, "correct": st.just(False)}), min_size=2, max_size=4)
fine_exam_files = st.fixed_dictionaries(
    {
        "format": st.just(exam_io.FORMAT),
        "slug": st.from_regex(r"[-a-zA-Z0-9_]{1,80}", fullmatch=True),
        "title": fine_text,
        "source_language": st.sampled_from(["en", "ko"]),
        "questions": st.lists(
            st.fixed_dictionaries(
                {"kind": st.just("single"), "text": fine_text, "choices": fine_choices},
                optional={"explanation": fine_text},
            ),
            min_size=1,
            max_size=3,
        ),
    },
    optional={
        "description": fine_text,
        "published": st.booleans(),
        "tags": st.lists(st.from_regex(r"[-a-z0-9]{1,50}", fullmatch=True), max_size=3),
    },
).map(lambda exam: with_right_first_choices(exam))
# The places a flaw can sit in a file: at the top, in the first question, in its first choice.
FLAW_PLACES = ["format", "slug", "title", "description", "source_language", "published", "tags", "questions"]
FLAW_PLACES += ["translations"]
FLAW_PLACES += [f"question.{name}" for name in ("kind", "text", "explanation", "choices", "translations")]
FLAW_PLACES += [f"choice.{name}" for name in ("text", "correct", "translations")]
flaws: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["x" * 80 + "\n", "python\n", "\ud800", "a\x00b", "x" * 201, "x" * 501]),
    st.sampled_from([{"ko": {"title": "a\x00b", "text": "\ud800"}}, {"en": {"text": "T"}, "ko": []}]),
    json_values,
)


def with_right_first_choices(exam: dict[str, Any]) -> dict[str, Any]:
    """Each question's first choice made the right one, so that the file imports."""
    questions = [
        {**question, "choices": [{**question["choices"][0], "correct": True}, *question["choices"][1:]]}
        for question in exam["questions"]
    ]
    return {**exam, "questions": questions}


@st.composite
def exam_files_with_a_flaw(draw: st.DrawFn) -> dict[str, Any]:
    """A file that would import, but for one bad value somewhere: only then do all checks pass but one."""
    exam: dict[str, Any] = draw(fine_exam_files)
    place, flaw = draw(st.sampled_from(FLAW_PLACES)), draw(flaws)
    if place.startswith("question."):
        exam["questions"][0][place.split(".")[1]] = flaw
    elif place.startswith("choice."):
        exam["questions"][0]["choices"][0][place.split(".")[1]] = flaw
    elif place == "tags":
        exam["tags"] = [flaw]
    else:
        exam[place] = flaw
    return exam


# Half the files have one flaw in an otherwise fine file; the rest are fine, any JSON, or any bytes.
exam_file_bytes = exam_files_with_a_flaw().map(lambda exam: json.dumps(exam).encode()) | st.one_of(
    fine_exam_files.map(lambda exam: json.dumps(exam).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
)


@hypothesis.settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_an_exam_file_is_imported_whole_or_refused_in_one_line(
    world: World, tmp_path: Path, data: st.DataObject
) -> None:
    content = data.draw(exam_file_bytes, label="file")
    through = data.draw(st.sampled_from(["command", "admin"]), label="through")
    path = tmp_path / "exam.json"
    path.write_bytes(content)
    with example_savepoint():
        before = row_counts()
        if through == "command":
            try:
                call_command("import_exam", str(path), stdout=StringIO())
            except CommandError as error:
                assert "\n" not in str(error), "the error is not one line"
                assert row_counts() == before
            else:
                assert Exam.objects.count() == before["quiz_exam"] + 1
        else:
            with path.open("rb") as upload:
                response = staff_client(world).post("/admin/quiz/exam/import/", {"file": upload})
            answer_is_clear(response, before, "POST", "/admin/quiz/exam/import/")
            assert response.status_code in {302, 400}


# --- Management commands --------------------------------------------------------------------------------

# Options of every command that print help and exit 0 or change what runs (another settings module).
SKIPPED_BASE_OPTIONS = ("--help", "--version", "--settings", "--pythonpath", "--traceback")
# A shell argument holds neither NUL nor (here) a line break; it may hold a byte that is not UTF-8.
cli_text = (
    st.text(st.characters(exclude_characters="\x00\n\r", exclude_categories=["Cs"]), max_size=30)
    | st.sampled_from([text for text in NASTY if "\x00" not in text] + ["\udcff", "-", "--", "-1", "--no-such-option"])
    | big_ids.map(str)
)
# Values that pass a command's first checks, so examples get further in; {exam_id} is filled in.
COMMAND_VALUES: dict[str, list[str]] = {
    "import_exam": ["/nonexistent/exam.json", "/", "{garbage_file}", "{directory}"],
    "export_exam": ["python", "{exam_id}", "0"],
    "load_demo": [],
    "translate_missing": ["en", "ko", "1", "0"],
    "create_local_admin": ["admin", "new-admin", "staff"],
    "create_local_flower_login": [],
    "setup_periodic_tasks": [],
    "prepare_local_broker": [],
    "backup_now": [],
    "restore_backup": ["1", "0", "drillquiz", "drillquiz_scratch", "\udcff"],
    "beat_health": ["60", "0", "-1", "nan", "inf", "1e308"],
    "diffsettings": ["unified", "hash", "drillquiz.settings"],
    "serve_metrics": ["0", "-1", "65536", "9" * 25, "127.0.0.1", "no such host"],
}
# Connects to a database of its own, which pytest-django's test case refuses in this process: its bad
# targets are tested in its own processes (tests/drillquiz/test_move_data.py, and CLI_GARBAGE below).
NOT_IN_PROCESS = {"move_data"}


def our_commands() -> set[str]:
    return {name for name, app_name in get_commands().items() if app_name in (*OUR_APPS, "drillquiz")}


def test_every_command_of_ours_has_a_case() -> None:
    assert set(COMMAND_VALUES) | NOT_IN_PROCESS == our_commands()


def command_options(name: str) -> list[str]:
    """The command's own options, read from its parser."""
    base = {
        option
        for action in BaseCommand().create_parser("manage.py", "base")._actions
        for option in action.option_strings
    }
    parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
    return [option for action in parser._actions for option in action.option_strings if option not in base]


def harmless(token: str) -> bool:
    """Not --help, --settings and the like, nor an abbreviation argparse would take for one."""
    flag = token.split("=", 1)[0]
    if flag.startswith("--") and len(flag) > 2:
        return not any(option.startswith(flag) for option in SKIPPED_BASE_OPTIONS)
    return not flag.startswith("-h")


@pytest.mark.parametrize("name", sorted(COMMAND_VALUES))
@FUZZ
@given(data=st.data())
def test_a_command_refuses_garbage_in_one_line_and_writes_nothing(
    name: str, db: None, tmp_path: Path, data: st.DataObject
) -> None:
    options, values = command_options(name), COMMAND_VALUES[name]
    pieces = (st.sampled_from(values) | cli_text if values else cli_text).filter(harmless)
    # An option followed by a value, or a lone word; a word may be an option too.
    units = pieces.map(lambda piece: [piece])
    if options:
        option = st.sampled_from(options)
        units = st.tuples(option, pieces).map(list) | option.map(lambda alone: [alone]) | units
    groups = data.draw(st.lists(units, max_size=3), label="arguments")
    tokens = [token for group in groups for token in group]
    if name in {"backup_now", "create_local_flower_login", "serve_metrics"}:
        tokens.append("unexpected")  # with no argument at all it would really back up, write var/, or serve
    garbage_file = tmp_path / "garbage.json"
    garbage_file.write_bytes(b"\xff\xfe{not json")
    with example_savepoint():
        exam = make_exam("python", questions=1) if name == "export_exam" else None
        places = {
            "{exam_id}": str(exam.pk if exam else 0),
            "{garbage_file}": str(garbage_file),
            "{directory}": str(tmp_path),
        }
        tokens = [places.get(token, token) for token in tokens]
        before = row_counts()
        try:
            call_command(name, *tokens, stdout=StringIO(), stderr=StringIO())
        except CommandError as error:
            assert "\n" not in str(error).strip(), f"{name} {tokens}: the error is not one line"
            assert row_counts() == before, f"{name} {tokens} failed but wrote rows"


# What the command line shows: each command given one garbage argument list, in its own process.
CLI_GARBAGE: dict[str, list[str]] = {
    "import_exam": ["/nonexistent/exam.json"],
    "export_exam": ["²"],
    "load_demo": ["--no-such-option"],
    "translate_missing": ["--language", "xx"],
    "create_local_admin": ["--username", "not a user name"],
    "create_local_flower_login": ["extra"],
    "setup_periodic_tasks": ["extra"],
    "prepare_local_broker": [],  # the tests' broker is Redis: there is nothing to prepare
    "backup_now": ["extra"],
    "restore_backup": ["9" * 25, "--into", "drillquiz_scratch"],
    "beat_health": ["--max-age", "soon"],
    "diffsettings": ["--output", "sideways"],
    "move_data": ["--to", "postgres://mover:hunter2@127.0.0.1:1/drillquiz"],
    "serve_metrics": ["--port", "70000"],
}


def test_on_the_command_line_garbage_ends_in_one_line_and_a_non_zero_exit(transactional_db: None) -> None:
    assert set(CLI_GARBAGE) == our_commands()
    before = row_counts()
    runs = {
        name: subprocess.Popen(
            [sys.executable, "manage.py", name, *argv],
            cwd=ROOT,
            env=process_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, argv in CLI_GARBAGE.items()
    }
    for name, process in runs.items():
        _, stderr = process.communicate(timeout=120)
        lines = stderr.strip().splitlines()
        assert process.returncode != 0, f"{name}: exit 0"
        assert "Traceback" not in stderr, f"{name}:\n{stderr}"
        if process.returncode == 2:  # argparse: the usage, then one line saying what is wrong
            assert "error:" in lines[-1], f"{name}:\n{stderr}"
        else:
            assert len(lines) == 1 and lines[0].startswith("CommandError: "), f"{name}:\n{stderr}"
    assert row_counts() == before


# --- Celery tasks, run eagerly with garbage arguments ------------------------------------------------------

# A task may fail on garbage only by saying so; restore_drill also fails, cleanly, with nothing to drill.
EXPECTED_FAILURES: dict[str, tuple[type[BaseException], ...]] = {"backup.tasks.restore_drill": (BackupError,)}


def our_task(name: str) -> Task[..., Any]:
    """Any of our tasks by name: its arguments and its result (JSON) are whatever that task says."""
    registered_tasks()  # every app's tasks module imported: a task's name need not be its module's
    return celery_app.tasks[name]


def translation_keys(world: World) -> list[tuple[str, int, str, str]]:
    """(model, id, field, source hash) of every translated field of the world's exam."""
    keys = []
    for obj in [
        world.exam,
        *Question.objects.filter(exam=world.exam),
        *Choice.objects.filter(question__exam=world.exam),
    ]:
        for field in registry.FIELDS[type(obj)]:
            keys.append((registry.label(type(obj)), obj.pk, field, registry.source_hash(getattr(obj, field))))
    return keys


def task_arguments(world: World) -> dict[str, st.SearchStrategy[tuple[object, ...]]]:
    """Per task with parameters: garbage of the right arity. Half of it is nearly right (right shape,
    right ids, one bad value) so that it gets as far as the database; the rest is anything at all."""
    today = world.learner.local_today().isoformat()
    users = st.sampled_from([world.learner.pk, world.other.pk, 999_999]) | big_ids
    right_pairs = st.lists(
        st.tuples(users, st.sampled_from([today, "0001-01-01", "9999-12-31"])).map(list), min_size=1, max_size=3
    )
    wrong_pair = st.tuples(users | json_values, st.just("2024-02-30") | json_text).map(list) | json_values
    with_a_wrong_pair = st.tuples(right_pairs, wrong_pair).map(lambda drawn: [*drawn[0], drawn[1]])
    languages = st.sampled_from(["en", "ko"])
    providers = st.sampled_from(["pseudo"]) | json_text
    texts = json_text | json_values
    keys = translation_keys(world)

    def entry(key: tuple[str, int, str, str]) -> st.SearchStrategy[dict[str, object]]:
        model, object_id, field, source_hash = key
        return st.fixed_dictionaries(
            {
                "model": st.just(model) | json_values,
                "id": st.just(object_id) | big_ids,
                "field": st.just(field) | json_values,
                "text": texts,
                "hash": st.just(source_hash) | json_text,
            }
        )

    entries = st.lists(st.sampled_from(keys).flatmap(entry), min_size=1, max_size=3)
    key_lists = st.lists(
        st.sampled_from(keys)
        .flatmap(
            lambda key: st.tuples(st.just(key[0]) | json_values, st.just(key[1]) | big_ids, st.just(key[2]) | texts)
        )
        .map(list),
        min_size=1,
        max_size=4,
    )

    def anything(arity: int) -> st.SearchStrategy[tuple[object, ...]]:
        return st.tuples(*[json_values] * arity)

    return {
        "jobs.tasks.ping": st.tuples(json_values),
        "accounts.tasks.send_welcome_email": st.tuples(users) | anything(1),
        "notifications.tasks.send_slack_alert": st.tuples(st.fixed_dictionaries({"text": texts})) | anything(1),
        "quiz.tasks.send_review_reminder_chunk": st.tuples(right_pairs | with_a_wrong_pair) | anything(1),
        "quiz.tasks.batch_save_translation_results": st.tuples(languages, providers, entries) | anything(3),
        "quiz.tasks.translate_missing_batch": st.tuples(languages, languages, key_lists) | anything(3),
        "quiz.tasks.fit_learner_parameters": st.tuples(users) | anything(1),
        "quiz.tasks.reschedule_reviews": st.tuples(users) | anything(1),
        # A right trigger would really back up the database (tests/backup covers that).
        "backup.tasks.backup_database": st.tuples(json_values.filter(lambda value: value not in Backup.Trigger.values)),
    }


def today_of(world: World) -> str:
    return world.learner.local_today().isoformat()


def translation_entry(world: World) -> dict[str, object]:
    model, object_id, field, source_hash = translation_keys(world)[0]
    return {"model": model, "id": object_id, "field": field, "text": "T", "hash": source_hash}


def target_language(world: World) -> str:
    return next(code for code, _name in django_settings.LANGUAGES if code != world.exam.source_language)


# Per task with parameters: arguments it must take, as its producer sends them (JSON), so that a payload
# model that refuses everything cannot pass the sweep by failing cleanly. All but backup_database, which
# would really run pg_dump (tests/backup runs it with each trigger).
WELL_FORMED: dict[str, Callable[[World], tuple[object, ...]]] = {
    "jobs.tasks.ping": lambda world: ("a note",),
    "accounts.tasks.send_welcome_email": lambda world: (world.learner.pk,),
    "notifications.tasks.send_slack_alert": lambda world: ({"text": "Hello", "blocks": []},),
    "quiz.tasks.send_review_reminder_chunk": lambda world: ([[world.learner.pk, today_of(world)]],),
    "quiz.tasks.batch_save_translation_results": lambda world: (
        target_language(world),
        "pseudo",
        [translation_entry(world)],
    ),
    "quiz.tasks.translate_missing_batch": lambda world: (
        world.exam.source_language,
        target_language(world),
        [[translation_entry(world)[key] for key in ("model", "id", "field")]],
    ),
    "quiz.tasks.fit_learner_parameters": lambda world: (world.learner.pk,),
    "quiz.tasks.reschedule_reviews": lambda world: (world.learner.pk,),
}


def takes_arguments(name: str) -> bool:
    return bool(inspect.signature(our_task(name).run).parameters)


def test_every_task_with_arguments_has_a_case(db: None) -> None:
    with_arguments = {name for name in django_settings.CELERY_TASK_ROUTES if takes_arguments(name)}
    assert with_arguments == set(task_arguments(build_world(with_staff=False)))
    assert with_arguments - {"backup.tasks.backup_database"} == set(WELL_FORMED)


@pytest.fixture
def task_world(db: None, settings: Settings, tmp_path: Path) -> World:
    # No staff: a failed task's dead-letter notification for staff would be a row of its own.
    settings.BACKUP_DIR = tmp_path
    return build_world(with_staff=False)


@pytest.mark.parametrize("name", sorted(django_settings.CELERY_TASK_ROUTES))
@FUZZ
@given(data=st.data())
def test_a_task_given_garbage_fails_cleanly_and_writes_nothing(
    name: str, task_world: World, data: st.DataObject
) -> None:
    task = our_task(name)
    strategy = task_arguments(task_world).get(name, st.just(())) if takes_arguments(name) else st.just(())
    args = data.draw(strategy, label="args")
    expected: tuple[type[BaseException], ...] = (InvalidTaskArguments, *EXPECTED_FAILURES.get(name, ()))
    with example_savepoint():
        before = row_counts()
        result = task.apply(args=args)
        if result.state == "SUCCESS":
            return
        error = result.result
        assert result.state == "FAILURE" and isinstance(error, expected), (
            f"{name}{args!r:.300} ended {result.state}: {type(error).__name__}: {error}\n{result.traceback}"
        )
        assert row_counts() == before, f"{name}{args!r:.300} failed but wrote rows"


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_a_task_given_well_formed_arguments_succeeds(name: str, task_world: World) -> None:
    args = WELL_FORMED[name](task_world)

    with example_savepoint():
        result = our_task(name).apply(args=args)

        assert result.state == "SUCCESS", f"{name}{args!r:.300} ended {result.state}\n{result.traceback}"
