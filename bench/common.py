"""What every benchmark needs: its own PostgreSQL database and Redis databases, and Django set up on them."""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/drillquiz_bench",
    # Redis databases of their own, so a benchmark never touches the suite's or a developer's queues.
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/5",
    "CACHE_URL": "redis://127.0.0.1:6379/6",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "drillquiz.settings",
}


def setup_django(database: str = "drillquiz_bench") -> None:
    """Point this process at a benchmark database (created and migrated afresh) and set Django up.

    A benchmark that may run beside another (they share the machine, not their data) names its own.
    """
    BENCH_ENV["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(ROOT))
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def exported(ref: str) -> Iterator[Path]:
    """The project's files at a git commit, in a throwaway directory (no worktree, no checkout), to run
    another commit's code beside ours."""
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tree:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        yield Path(tree)


def session_cookie(user: Any) -> str:
    """A Cookie header value that logs wrk in as the user (a session saved in the database)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@contextmanager
def serving(
    port: int,
    workers: int,
    app: str = "drillquiz.asgi:application",
    tree: Path = ROOT,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    """The web process as `make run` starts it (uvicorn, ASGI), answering /healthz, for a with block.

    `tree` is the source tree it runs (another commit's, to compare), `env` what it gets besides ours."""
    args = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
    args += ["--no-access-log", "--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(args, cwd=tree, env={**os.environ, **(env or {})})
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait()


def milliseconds(figure: str) -> float:
    """One of wrk's latencies ("536.12ms", "1.02s") in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", figure).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk(url: str, cookie: str, duration: int, connections: int, timeout: int = 2) -> dict[str, float]:
    """Requests/s, p50 and p99 in ms, and non-2xx responses of one wrk run (2 threads) against url.

    A response slower than `timeout` seconds is left out of wrk's latencies (wrk's default is 2)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "--latency"]
    args += ["-H", f"Cookie: {cookie}", url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    print(output, file=sys.stderr)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p50": milliseconds(percentiles["50"]),
        "p99": milliseconds(percentiles["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }
