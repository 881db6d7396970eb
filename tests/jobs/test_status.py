"""Starting a long job answers 202; only its owner can poll its state."""

import time
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django_celery_results.models import TaskResult

from accounts.models import User
from jobs import services
from jobs.models import TrackedJob
from jobs.tasks import ping
from tests.factories import make_user


def wait_for_state(client: Client, status_url: str, state: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(status_url).json()
        if body["state"] == state:
            return body
        time.sleep(0.2)
    raise AssertionError(f"job never reached {state}; last answer {body}")


def test_starting_a_job_logged_out_is_refused_and_enqueues_nothing(client: Client, db: None) -> None:
    response = client.post("/jobs/ping/")

    assert response.status_code == 401
    assert response.json() == {"error": "Log in to use this endpoint."}
    assert not TrackedJob.objects.exists()


def test_starting_a_job_needs_post(client: Client, learner: User) -> None:
    client.force_login(learner)

    assert client.get("/jobs/ping/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_job_started_from_the_web_completes_in_the_worker(client: Client, celery_worker: object) -> None:
    client.force_login(make_user("learner"))

    response = client.post("/jobs/ping/")

    assert response.status_code == 202
    body = response.json()
    assert body["status_url"] == f"/jobs/{body['task_id']}/"
    done = wait_for_state(client, body["status_url"], "SUCCESS")
    assert done["result"]["pong"]
    assert TaskResult.objects.get(task_id=body["task_id"]).task_name == "jobs.tasks.ping"


def test_only_the_owner_can_see_a_job(client: Client, learner: User, other_learner: User) -> None:
    job = services.start_job(learner, ping.name)

    client.force_login(other_learner)
    assert client.get(f"/jobs/{job.task_id}/").status_code == 404

    client.force_login(learner)
    assert client.get(f"/jobs/{job.task_id}/").json()["state"] == "PENDING"


def test_a_logged_out_visitor_cannot_poll_a_job(client: Client, learner: User) -> None:
    job = services.start_job(learner, ping.name)

    assert client.get(f"/jobs/{job.task_id}/").status_code == 401


def test_an_unknown_job_is_404(client: Client, learner: User) -> None:
    client.force_login(learner)

    assert client.get(f"/jobs/{uuid.uuid4()}/").status_code == 404
    assert client.get("/jobs/not-a-uuid/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(client: Client, celery_worker: object) -> None:
    user = make_user("learner")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.start_job(user, ping.name)
        raise RuntimeError("the request failed after enqueueing")
    committed = services.start_job(user, ping.name)
    client.force_login(user)
    wait_for_state(client, f"/jobs/{committed.task_id}/", "SUCCESS")

    assert list(TrackedJob.objects.values_list("task_id", flat=True)) == [committed.task_id]
    pings = TaskResult.objects.filter(task_name="jobs.tasks.ping")
    assert list(pings.values_list("task_id", flat=True)) == [str(committed.task_id)]


def test_the_json_api_answers_a_wrong_method_in_json(client: Client, learner: User) -> None:
    job = services.start_job(learner, ping.name)
    client.force_login(learner)

    start = client.get("/jobs/ping/")
    status = client.post(f"/jobs/{job.task_id}/")

    assert (start.status_code, status.status_code) == (405, 405)
    assert start.json()["error"] and status.json()["error"]
    assert (start["Allow"], status["Allow"]) == ("POST", "GET")
