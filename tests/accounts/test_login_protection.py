"""Lockouts after repeated failed logins, and the password reset limit."""

import re
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_cache_keys
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from pytest_django import Settings

from accounts import limits
from accounts.models import Lockout, User
from tests.accounts.test_accounts import SIGNUP
from tests.factories import PASSWORD, make_user
from tests.processes import free_port

if TYPE_CHECKING:  # the test client's response, a type only django-stubs names
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

HERE, ELSEWHERE = "203.0.113.7", "198.51.100.20"


def log_in(
    client: Client, username: str, password: str, address: str = HERE, path: str = "/accounts/login/"
) -> "TestResponse":
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_until_locked_out(
    client: Client, username: str, address: str = HERE, path: str = "/accounts/login/"
) -> "TestResponse":
    """The failure limit's worth of wrong passwords; the last one is answered with the lockout page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, username, "wrong password", address, path).status_code == 200
    return log_in(client, username, "wrong password", address, path)


def axes_cache_key(username: str, address: str) -> str:
    keys: list[str] = get_client_cache_keys(AccessAttempt(username=username, ip_address=address))  # axes is untyped
    (key,) = keys
    return key


def test_repeated_wrong_passwords_lock_out_the_username_from_that_address(client: Client, learner: User) -> None:
    locked = fail_until_locked_out(client, "learner")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    right = log_in(client, "learner", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_speaks_korean(client: Client, learner: User) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"

    locked = fail_until_locked_out(client, "learner")

    assert locked.status_code == 429
    assert "로그인 실패가 너무 많습니다" in locked.content.decode()
    assert "15분" in locked.content.decode()


def test_fewer_failures_than_the_limit_and_then_the_right_password_log_in(client: Client, learner: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "learner", "wrong password")

    assert log_in(client, "learner", PASSWORD).status_code == 302
    # A success forgets the failures: the limit's worth again is needed for a lockout.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(Client(), "learner", "wrong password").status_code == 200


@pytest.fixture
def cache_down(settings: Settings) -> Iterator[None]:
    """The cache on a closed port. Axes keeps the cache its handler was made with, so the handler is
    made again on this one, and again on the next test's."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    AxesProxyHandler.implementation = None
    yield
    AxesProxyHandler.implementation = None


@pytest.fixture
def cache_hung(settings: Settings) -> Iterator[None]:
    """The cache, with the site's options, at a server that takes connections and never answers (a
    stopped Redis, or one the network cut off): the kernel completes the connection, nothing replies."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        location = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": location}}
        AxesProxyHandler.implementation = None
        yield
        AxesProxyHandler.implementation = None


def test_while_the_cache_hangs_signup_and_login_still_answer(client: Client, learner: User, cache_hung: None) -> None:
    started = time.monotonic()
    signup = client.post("/accounts/signup/", SIGNUP)
    login = log_in(Client(), "learner", PASSWORD)
    exams = client.get("/exams/")
    waited = time.monotonic() - started

    assert (signup.status_code, login.status_code, exams.status_code) == (302, 302, 200)
    # Each cache read gives up after CACHE_SOCKET_TIMEOUT_SECONDS (1 s) and the page goes on without it:
    # about 3.5 s for the three. With redis-py's own timeout (5 s) they waited 19 s.
    assert waited < 10


def test_while_the_cache_is_down_signup_and_login_work_and_failures_lock_no_one_out(
    client: Client, learner: User, cache_down: None
) -> None:
    signup = client.post("/accounts/signup/", SIGNUP)

    assert signup.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username=SIGNUP["username"]).pk)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert log_in(Client(), "learner", "wrong password").status_code == 200
    assert log_in(Client(), "learner", PASSWORD).status_code == 302
    assert not Lockout.objects.exists()


def test_while_the_cache_is_down_a_password_reset_is_refused_and_sends_nothing(
    client: Client, learner: User, cache_down: None
) -> None:
    refused = client.post("/accounts/password-reset/", {"email": learner.email}, REMOTE_ADDR=HERE)

    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    assert not mail.outbox


def test_the_learner_still_logs_in_from_another_address(client: Client, learner: User) -> None:
    fail_until_locked_out(client, "learner", HERE)

    assert log_in(Client(), "learner", PASSWORD, ELSEWHERE).status_code == 302
    assert log_in(Client(), "other", "wrong password", HERE).status_code == 200  # another username from here


def test_the_lockout_ends_when_the_cool_off_has_passed(client: Client, learner: User) -> None:
    fail_until_locked_out(client, "learner")
    key = axes_cache_key("learner", HERE)
    redis = cache._cache.get_client(write=False)  # type: ignore[attr-defined]
    assert 0 < redis.ttl(cache.make_and_validate_key(key)) <= settings.AXES_COOLOFF_TIME.total_seconds()

    cache.touch(key, timeout=0)  # what Redis does when the cool-off's time to live runs out

    assert log_in(client, "learner", PASSWORD).status_code == 302


def test_the_admin_login_locks_out_too(client: Client, db: None) -> None:
    make_user("boss", is_staff=True, is_superuser=True)

    locked = fail_until_locked_out(client, "boss", path="/admin/login/")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert log_in(client, "boss", PASSWORD, path="/admin/login/").status_code == 429
    assert log_in(Client(), "boss", PASSWORD, ELSEWHERE, path="/admin/login/").status_code == 302


def test_staff_see_the_lockout_in_admin_and_clear_it(client: Client, learner: User) -> None:
    fail_until_locked_out(Client(), "learner")
    staff = Client()
    staff.force_login(make_user("boss", is_staff=True, is_superuser=True))

    listed = staff.get("/admin/accounts/lockout/", {"state": "active"})

    assert listed.status_code == 200
    assert "learner" in listed.content.decode() and HERE in listed.content.decode()
    lockout = Lockout.objects.get()
    assert (lockout.username, lockout.ip_address, lockout.path, lockout.is_active) == (
        "learner",
        HERE,
        "/accounts/login/",
        True,
    )

    cleared = staff.post("/admin/accounts/lockout/", {"action": "clear", "_selected_action": [lockout.pk]}, follow=True)

    assert "1 lockout(s) cleared." in cleared.content.decode()
    assert not Lockout.objects.exists()
    assert log_in(client, "learner", PASSWORD).status_code == 302


def test_a_second_lockout_of_the_same_pair_moves_its_end(client: Client, learner: User) -> None:
    fail_until_locked_out(client, "learner")
    first_end = Lockout.objects.get().locked_until

    assert log_in(client, "learner", "wrong again").status_code == 429

    assert Lockout.objects.get().locked_until > first_end


def test_password_resets_for_one_email_are_limited_and_the_limited_one_sends_nothing(
    client: Client, learner: User
) -> None:
    for number in range(3):  # PASSWORD_RESET_RATE_PER_EMAIL: 3/h
        address = f"192.0.2.{number}"
        sent = client.post("/accounts/password-reset/", {"email": learner.email}, REMOTE_ADDR=address)
        assert sent.status_code == 302

    limited = client.post("/accounts/password-reset/", {"email": learner.email.upper()}, REMOTE_ADDR="192.0.2.9")

    assert limited.status_code == 429
    assert "Too many password reset requests" in limited.content.decode()
    assert len(mail.outbox) == 3


def page(response: "TestResponse", email: str) -> str:
    """The answer with what differs between two requests anyway (the echoed email, the CSRF token) left out."""
    text = response.content.decode().replace(email, "EMAIL")
    return f"{response.status_code} " + re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_the_limited_answer_is_the_same_for_an_address_without_an_account(client: Client, learner: User) -> None:
    answers = {}
    for email in (learner.email, "nobody@example.com"):
        for _ in range(3):
            client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ELSEWHERE)
        answers[email] = client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=HERE)

    known, unknown = (page(answers[email], email) for email in answers)
    assert known == unknown
    assert "Too many password reset requests" in known


def test_password_resets_from_one_address_are_limited(client: Client, db: None) -> None:
    for number in range(10):  # PASSWORD_RESET_RATE_PER_ADDRESS: 10/h
        asked = client.post("/accounts/password-reset/", {"email": f"n{number}@example.com"}, REMOTE_ADDR=HERE)
        assert asked.status_code == 302

    limited = client.post("/accounts/password-reset/", {"email": "n10@example.com"}, REMOTE_ADDR=HERE)
    elsewhere = client.post("/accounts/password-reset/", {"email": "n10@example.com"}, REMOTE_ADDR=ELSEWHERE)

    assert limited.status_code == 429
    assert elsewhere.status_code == 302


def test_behind_the_ingress_the_address_is_the_one_it_forwarded(settings: Settings, rf: RequestFactory) -> None:
    settings.AXES_IPWARE_PROXY_COUNT = 0  # k8s/base: one ingress-nginx, which puts the address it saw there
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    honest = rf.post("/accounts/login/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=HERE)
    # A client that sends its own X-Forwarded-For cannot choose its address: it counts as the ingress's.
    spoofed = rf.post("/accounts/login/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=f"192.0.2.66, {HERE}")

    assert (limits.client_address(honest), limits.client_address(spoofed)) == (HERE, "10.1.2.3")
