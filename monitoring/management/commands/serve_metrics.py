import logging
import signal
import threading
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from prometheus_client import CollectorRegistry, start_http_server

from monitoring.collector import DrillQuizCollector

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve the queue, outbox, backup, beat and dead-letter gauges for Prometheus at /metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.METRICS_PORT, help="default METRICS_PORT (9100)")
        parser.add_argument("--address", default=settings.METRICS_ADDRESS, help="default METRICS_ADDRESS")

    def handle(self, *args: object, port: int, address: str, **options: object) -> None:
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        timeout = settings.METRICS_SOURCE_TIMEOUT_SECONDS
        database = settings.DATABASES["default"]
        if database["ENGINE"].endswith(".postgresql"):
            # A server that accepts but does not answer frees the reading thread soon after the deadline.
            seconds = max(1, round(timeout))
            database.setdefault("OPTIONS", {}).update(
                connect_timeout=seconds, options=f"-c statement_timeout={seconds * 1000}"
            )
        registry = CollectorRegistry()
        registry.register(DrillQuizCollector(timeout))
        try:
            server, _ = start_http_server(port, addr=address, registry=registry)
        except OSError as error:
            raise CommandError(f"cannot serve metrics on {address}:{port}: {error.strerror}") from None
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        logger.info("metrics on http://%s:%d/metrics", address, port)
        stop.wait()
        server.shutdown()
        logger.info("metrics exporter stopped")
