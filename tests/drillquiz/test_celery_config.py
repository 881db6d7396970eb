"""Every task of ours has a queue, time limits, and JSON only."""

import pytest
from django.conf import settings

from drillquiz.celery import app

OUR_APPS = ("accounts.", "jobs.", "quiz.", "backup.", "notifications.")


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith(OUR_APPS))


def test_the_project_has_tasks_to_check() -> None:
    assert "jobs.tasks.ping" in our_tasks()


@pytest.mark.parametrize("task_name", our_tasks())
def test_each_task_is_routed_to_its_queue(task_name: str) -> None:
    expected = settings.CELERY_TASK_ROUTES[task_name]["queue"]

    route = app.amqp.router.route({}, task_name)

    assert route["queue"].name == expected
    assert expected in {queue.name for queue in settings.CELERY_TASK_QUEUES}


@pytest.mark.parametrize("task_name", our_tasks())
def test_each_task_has_a_soft_and_a_hard_time_limit(task_name: str) -> None:
    task = app.tasks[task_name]
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    hard = task.time_limit or app.conf.task_time_limit

    assert soft and hard and soft < hard
    # Redis must not hand a task still running to a second worker.
    assert hard < app.conf.broker_transport_options["visibility_timeout"]


def test_workers_accept_json_only_and_acknowledge_late() -> None:
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.result_extended is True
