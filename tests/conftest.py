"""The shared cast and the real pieces: PostgreSQL, Redis and a Celery worker in this process."""

from collections.abc import Iterator

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping, which start_worker checks
import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController
from django.conf import settings
from django.db import connection
from pytest_django import DjangoDbBlocker

from accounts.models import User
from drillquiz.celery import app
from tests.factories import make_user


def pytest_configure(config: pytest.Config) -> None:
    # The suite proves behaviour on the real services; on the embedded defaults it would prove less.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("error: tests need PostgreSQL; run them with `make test` (it sets DATABASE_URL).", 2)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.exit("error: tests need Redis as broker; run them with `make test`.", 2)


@pytest.fixture
def learner(db: None) -> User:
    return make_user("learner")


@pytest.fixture
def other_learner(db: None) -> User:
    return make_user("other")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[WorkController]:
    """A real worker consuming every queue from Redis, in a thread of this process.

    Tasks it runs see only committed rows, so tests using it need django_db(transaction=True).
    """
    app.control.purge()
    with (
        django_db_blocker.unblock(),
        start_worker(app, pool="solo", loglevel="WARNING", perform_ping_check=True) as worker,
    ):
        yield worker
    connection.close()
