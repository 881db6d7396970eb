"""The schedule's Admin pages (django-celery-beat's, as jobs/admin.py sets them up) refuse what beat cannot run."""

import pytest
from django.test import Client
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from tests.factories import make_user
from tests.sweep.forms import FormFields


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("field", ["minute", "hour", "day_of_week"])
def test_a_crontab_form_with_a_negative_number_is_a_form_error(staff: Client, field: str) -> None:
    crontab = CrontabSchedule.objects.create(minute="0")
    path = f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/change/"
    form = FormFields.of(staff.get(path).content.decode(), "crontabschedule_form")

    response = staff.post(path, {**form, field: "-1"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert CrontabSchedule.objects.get().minute == "0"


@pytest.mark.parametrize("task", ["\x00", "jobs.tasks.no_such_task"])
def test_a_periodic_task_form_with_an_unregistered_task_is_a_form_error(staff: Client, task: str) -> None:
    every_ten_seconds = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    periodic = PeriodicTask.objects.create(name="admin ping", task="jobs.tasks.ping", interval=every_ten_seconds)
    path = f"/admin/django_celery_beat/periodictask/{periodic.pk}/change/"
    form = FormFields.of(staff.get(path).content.decode(), "periodictask_form")

    response = staff.post(path, {**form, "regtask": task})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["regtask"] == ["Not a registered task."]
    assert PeriodicTask.objects.get().task == "jobs.tasks.ping"
