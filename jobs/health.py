"""Liveness (/healthz) and readiness (/readyz) for load balancers and Kubernetes probes: here, beside
the outbox, because being ready means taking requests and the jobs they enqueue."""

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from jobs import outbox

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("readyz", "ok", timeout=10)
    if cache.get("readyz") != "ok":
        raise RuntimeError("cache did not return the value just written")


def check_broker() -> None:
    with outbox.broker_connection():
        pass


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def readiness() -> dict[str, str]:
    """Run each dependency check; map its name to 'ok' or the error's type."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure of a dependency means "not ready"
            logger.warning("readiness check %s failed: %r", name, error)
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results


class HealthCheckMiddleware(MiddlewareMixin):
    """Answers the probes first, before host validation and the HTTPS redirect.

    Kubernetes probes call pods by IP over plain HTTP, which ALLOWED_HOSTS and
    SECURE_SSL_REDIRECT would otherwise turn into 400s and 301s.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = readiness()
            failed = [name for name, result in checks.items() if result != "ok"]
            body: dict[str, object] = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
            if "database" not in failed:
                # Jobs waiting for the broker: shown, not failed on (the web serves fine meanwhile).
                body["outbox"] = outbox.backlog()
            return JsonResponse(body, status=503 if failed else 200)
        return None
