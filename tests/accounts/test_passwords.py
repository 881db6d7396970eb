"""Passwords are hashed with Argon2id sized for a web pod on a few threads of its own; older hashes are upgraded."""

import threading

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    check_password,
    make_password,
)
from django.test import Client
from pytest_django import Settings

from accounts.hashers import hashing_threads
from accounts.models import User
from drillquiz.settings import PASSWORD_HASHERS as SITE_PASSWORD_HASHERS
from tests.accounts.test_login_protection import log_in
from tests.factories import PASSWORD

# Argon2id, 19 MiB, 2 passes, 1 lane (accounts/hashers.py).
SITE_ARGON2 = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture(autouse=True)
def site_hashers(settings: Settings) -> None:
    """The site's own password hashers (the test settings hash with MD5 first, for speed)."""
    settings.PASSWORD_HASHERS = SITE_PASSWORD_HASHERS


def test_new_passwords_are_hashed_with_the_sites_argon2(client: Client, db: None) -> None:
    client.post(
        "/accounts/signup/",
        {"username": "minji", "email": "m@example.com", "language": "ko", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert User.objects.get(username="minji").password.startswith(SITE_ARGON2)


@pytest.mark.parametrize(
    "old_hasher",
    [pytest.param(PBKDF2PasswordHasher(), id="pbkdf2"), pytest.param(Argon2PasswordHasher(), id="djangos-argon2")],
)
def test_an_older_hash_is_re_hashed_at_the_next_login(
    client: Client, learner: User, old_hasher: BasePasswordHasher
) -> None:
    User.objects.filter(pk=learner.pk).update(password=old_hasher.encode(PASSWORD, old_hasher.salt()))

    assert log_in(client, "learner", PASSWORD).status_code == 302

    learner.refresh_from_db()
    assert learner.password.startswith(SITE_ARGON2)
    assert learner.check_password(PASSWORD)


def test_a_hash_waits_while_every_hashing_thread_is_busy(settings: Settings) -> None:
    release = threading.Event()
    busy = [hashing_threads().submit(release.wait, 30) for _ in range(settings.PASSWORD_HASHES_AT_ONCE)]
    hashed: list[str] = []
    hashing = threading.Thread(target=lambda: hashed.append(make_password(PASSWORD)))
    try:
        hashing.start()
        hashing.join(timeout=1)  # a hash on a free thread takes about 25 ms

        assert hashing.is_alive()
        assert hashed == []
    finally:
        release.set()
    hashing.join(timeout=30)

    assert all(done.result() for done in busy)
    assert hashed[0].startswith(SITE_ARGON2)
    assert check_password(PASSWORD, hashed[0])
