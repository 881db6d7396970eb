"""The fault suite's pieces: a Redis of its own that tests stop and restart, and processes on it."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import MailServer, forget_broker_connections
from tests.processes import free_port, process_env, wait_until


class PrivateRedis:
    """A real redis-server on a free port, which a test may stop, start and restart (with its data
    kept in an append-only file, or lost)."""

    def __init__(self, directory: Path, keep_data: bool = False) -> None:
        self.port = free_port()
        self.directory = directory
        self.keep_data = keep_data
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.directory), "--appendonly", "yes" if self.keep_data else "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, 10, "the private Redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def drop_clients(self) -> None:
        """Close every client's connection while the server stays up (as a network fault or a
        failover proxy does)."""
        client = redis.Redis.from_url(self.url)
        client.client_kill_filter(_type="normal", skipme=True)
        client.client_kill_filter(_type="pubsub")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def env(self, **overrides: str) -> dict[str, str]:
        """Process environment on the test database with this Redis as broker and cache."""
        return {**process_env(), "CELERY_BROKER_URL": f"{self.url}/0", "CACHE_URL": f"{self.url}/1", **overrides}


@pytest.fixture
def private_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    """A private Redis, which this test process also uses as its broker (it is read from the
    environment before settings, as in the broker_down fixture)."""
    server = PrivateRedis(tmp_path)
    server.start()
    forget_broker_connections()
    monkeypatch.setenv("CELERY_BROKER_URL", f"{server.url}/0")
    yield server
    monkeypatch.undo()
    forget_broker_connections()
    server.stop()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server for worker processes (they get its port through EMAIL_URL)."""
    server = MailServer()
    server.start()
    yield server
    server.stop()
