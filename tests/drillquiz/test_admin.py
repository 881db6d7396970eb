"""Admins manage periodic tasks and see task results in Django Admin."""

import pytest
from django.test import Client

from tests.factories import make_user

ADMIN_PAGES = [
    "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/crontabschedule/",
    "/admin/django_celery_beat/intervalschedule/",
    "/admin/django_celery_beat/clockedschedule/",
    "/admin/django_celery_results/taskresult/",
    "/admin/jobs/trackedjob/",
    "/admin/accounts/user/",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_staff_see_the_admin_page(client: Client, db: None, page: str) -> None:
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    assert client.get(page).status_code == 200


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client: Client, db: None, page: str) -> None:
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
