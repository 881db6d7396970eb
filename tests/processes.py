"""Starting the project's real processes (worker, web) from tests, on the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def all_queues() -> str:
    """Every queue, comma-separated for `celery worker --queues` (the Procfile's worker lists the same)."""
    return ",".join(queue.name for queue in settings.CELERY_TASK_QUEUES)


def test_database_url() -> str:
    """DATABASE_URL of the database this test session uses, for child processes."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(unset: tuple[str, ...] = (), **overrides: str) -> dict[str, str]:
    """This process's environment on the test database, less `unset`, plus `overrides`."""
    env = {**os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}
    # The browser tests relax Django's async-safety check in this process only; never pass it on.
    for name in (*unset, "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    env.update(overrides)
    return env


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process in a session of its own (so its whole group can be killed), its output in log."""
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 20 s; and whatever is left of its group (a worker's pool processes)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a process (start_process) for the length of a with block, then stop it (stop_process)."""
    process = start_process(args, env, log)
    try:
        yield process
    finally:
        stop_process(process)


@contextmanager
def worker_process(
    env: dict[str, str],
    log: Path,
    node: str,
    pool: str = "solo",
    queues: str | None = None,
    concurrency: int = 1,
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process, ready, on the given queues (comma-separated) or else on all of them."""
    args = [CELERY, "-A", "drillquiz", "worker", "--hostname", node, "--pool", pool, "--loglevel", "INFO"]
    args += ["--queues", queues or all_queues(), "--concurrency", str(concurrency)]
    ready_before = log.read_text(errors="replace").count("ready.") if log.exists() else 0
    with running(args, env, log) as process:
        is_ready = lambda: log.read_text(errors="replace").count("ready.") > ready_before  # noqa: E731
        wait_until(is_ready, 60, f"worker {node} to be ready")
        yield process


class WebServer:
    """The ASGI web process (uvicorn, as `make run` starts it) on the test database, restartable."""

    def __init__(self, log: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**process_env(), **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "uvicorn", "drillquiz.asgi:application", "--port", str(self.port)]
        args += ["--timeout-graceful-shutdown", "3"]  # open event streams would hold a shutdown forever
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        wait_until(self.answers, 30, "the web process to answer")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 - our own local server
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # an IPv4 address is a (host, port) pair
        return port
