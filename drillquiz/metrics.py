"""The web process's own metrics: django-prometheus's request, latency and query figures, cache
timings, served on a port of their own.

The port is separate so that nothing routed to the site can read them: the Ingress and the web
Service know only the site's port (k8s/base/web.yaml). It is started from drillquiz/asgi.py, which
only the web server loads; a worker or a management command opens no port.

django-prometheus's cache backends count gets only, and its Redis one needs django-redis, which we
do not use: these subclasses of Django's own backends time every operation instead.
"""

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import prometheus_client
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

CACHE_SECONDS = prometheus_client.Histogram(
    "drillquiz_cache_operation_seconds",
    "Time taken by cache operations, by operation and outcome (error: the cache raised).",
    ["operation", "outcome"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
TIMED_OPERATIONS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "incr", "touch", "has_key")

Cache = TypeVar("Cache", bound=type)


def timed(method: Callable[..., Any], operation: str) -> Callable[..., Any]:
    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        outcome = "ok"
        try:
            return method(*args, **kwargs)
        except BaseException:
            outcome = "error"
            raise
        finally:
            CACHE_SECONDS.labels(operation, outcome).observe(time.perf_counter() - start)

    return wrapper


def timing(cls: Cache) -> Cache:
    """The cache class with each operation of TIMED_OPERATIONS timed."""
    for operation in TIMED_OPERATIONS:
        setattr(cls, operation, timed(getattr(cls, operation), operation))
    return cls


@timing
class TimedRedisCache(RedisCache):
    pass


@timing
class TimedFileBasedCache(FileBasedCache):
    pass


def serve_web_metrics() -> None:
    """Serve this process's metrics on WEB_METRICS_PORT (none when it is 0)."""
    if not settings.WEB_METRICS_PORT:
        return
    prometheus_client.start_http_server(settings.WEB_METRICS_PORT, addr=settings.METRICS_ADDRESS)
    logger.info("metrics on http://%s:%d/metrics", settings.METRICS_ADDRESS, settings.WEB_METRICS_PORT)
