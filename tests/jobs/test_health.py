"""Probes: /healthz says the process lives, /readyz names any dependency that is down."""

import logging

import pytest
from django.test import Client


def test_healthz_answers_without_touching_anything(client: Client) -> None:
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe calls the pod by IP

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_cache_and_broker_answer(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "outbox": {"pending": 0, "oldest_seconds": 0.0},
    }


@pytest.mark.django_db
def test_readyz_names_the_broker_when_its_port_is_closed(
    client: Client, broker_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")
    assert "hunter2" not in response.content.decode()
    assert "readiness check broker failed" in caplog.text
