"""The fault suite's pieces: a Redis and a PostgreSQL of its own that tests stop and restart, and
processes on them."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connections

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

    def idle(self) -> bool:
        """No task message waits in a queue (a list) or is held by a worker (kombu's unacked hash)."""
        with redis.Redis.from_url(f"{self.url}/0") as broker:
            waiting: int = sum(broker.llen(key) for key in broker.scan_iter(_type="list"))
            held: int = broker.hlen("unacked")
            return waiting == 0 and held == 0

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


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL server programs here: Debian keeps initdb and pg_ctl off PATH."""
    found = [path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found.sort(key=lambda bin_dir: int(bin_dir.parent.name) if bin_dir.parent.name.isdigit() else 0)
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    assert initdb is not None, "no initdb: install the PostgreSQL server (e.g. apt-get install postgresql)"
    return Path(initdb).parent


def drop_connections() -> None:
    """Close this process's connections and its connection pool, which keeps connecting to the server it
    was made for: the next query connects to the server the settings name now."""
    for connection in connections.all():
        connection.close()
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL's backend only
        if close_pool is not None and connection.settings_dict.get("OPTIONS", {}).get("pool"):
            close_pool()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder, pg_ctl on a free port), which a
    test may stop and start without touching the machine's shared server and the other runs on it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bin_dir = postgres_bin_dir()
        # Not pytest's tmp_path: it sits under a root-only folder the postgres user cannot enter.
        self.directory = Path(tempfile.mkdtemp(prefix="drillquiz-postgres-"))
        self.data = self.directory / "data"
        # initdb and postgres refuse to run as root (as the suite does in CI): they run as postgres.
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def run(self, program: str, *args: str) -> None:
        command = [*self.as_owner, str(self.bin_dir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{program} {' '.join(args)} failed: {result.stderr or result.stdout}"

    def create(self) -> None:
        # No fsync: a test cluster lives for one test, and it makes initdb and each commit quick.
        self.run("initdb", "--pgdata", str(self.data), "--auth", "trust", "--username", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        # The Unix socket goes in our folder too: the shared server's /var/run/postgresql is its own.
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        # -w returns once the server accepts connections, not merely once it was spawned.
        self.run(
            "pg_ctl", "--pgdata", str(self.data), "--log", str(self.directory / "log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self.run("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "-w", "stop")
        drop_connections()  # this process's connections died with the server

    def running(self) -> bool:
        status = [*self.as_owner, str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data), "status"]
        return subprocess.run(status, capture_output=True, check=False).returncode == 0

    def remove(self) -> None:
        """Stop the server if it runs (even after a failed test) and delete its folder."""
        try:
            if self.data.exists() and self.running():
                self.stop()
        finally:
            if self.data.exists() and self.running():  # a fast stop that failed: no server may outlive us
                self.run("pg_ctl", "--pgdata", str(self.data), "--mode", "immediate", "-w", "stop")
            shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def private_postgres(transactional_db: None) -> Iterator[PrivatePostgres]:
    """A private PostgreSQL with a migrated copy of the test database, which this test process and
    every process it starts (process_env reads the connection) use instead of the shared server.

    It comes after transactional_db, so it is gone again before that flushes the shared test database.
    """
    server = PrivatePostgres()
    database = connections["default"].settings_dict
    shared = {key: database[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    try:
        server.create()
        server.run("createdb", "--host", "127.0.0.1", "--port", str(server.port), "-U", "postgres", database["NAME"])
        drop_connections()
        database.update(HOST="127.0.0.1", PORT=str(server.port), USER="postgres", PASSWORD="")
        call_command("migrate", verbosity=0)
        yield server
    finally:
        drop_connections()
        database.update(shared)
        server.remove()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server for worker processes (they get its port through EMAIL_URL)."""
    server = MailServer()
    server.start()
    yield server
    server.stop()
