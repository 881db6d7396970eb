"""Load benchmark of the take-exam and result pages.

Runs the web process as `make run` does (uvicorn, ASGI) against PostgreSQL, with a logged-in
learner and a 50-question exam, and drives it with wrk. Prints requests/s and p50/p99 latency.
Usage: make bench  (or: .venv/bin/python bench/pages.py --duration 15 --connections 16)
"""

import argparse
import re
import subprocess
import sys
import time
import urllib.request

from common import ROOT, setup_django

setup_django()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from quiz import attempts
from tests.factories import make_exam, make_user, right_answers

PORT = 8765


def prepare() -> tuple[str, dict[str, str]]:
    """A fresh benchmark database with a learner, an open attempt and a finished one."""
    user = make_user("bench")
    exam = make_exam("bench-50", questions=50)
    open_attempt = attempts.start_attempt(user, exam)
    done = attempts.start_attempt(user, exam)
    selections = {int(name[1:]): set(ids) for name, ids in right_answers(exam).items()}
    attempts.submit_exam(done, attempts.questions_of(done), selections, flagged=set())
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return cookie, {"take": f"/attempts/{open_attempt.pk}/", "result": f"/attempts/{done.pk}/result/"}


def wrk(url: str, cookie: str, duration: int, connections: int) -> dict[str, str]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Cookie: {cookie}", url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    print(output, file=sys.stderr)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": re.search(r"Requests/sec:\s+(\S+)", output).group(1),  # type: ignore[union-attr]
        "p50": percentiles["50"],
        "p99": percentiles["99"],
        "non_2xx": errors.group(1) if errors else "0",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    options = parser.parse_args()

    cookie, pages = prepare()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "drillquiz.asgi:application",
            "--port",
            str(PORT),
            "--no-access-log",
            "--workers",
            str(options.web_workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(f"| page | requests/s | p50 | p99 | non-2xx | ({options.connections} connections, {options.duration} s)")
        print("| --- | --- | --- | --- | --- |")
        for name, path in pages.items():
            result = wrk(f"http://127.0.0.1:{PORT}{path}", cookie, options.duration, options.connections)
            figures = " | ".join(result[key] for key in ("requests_per_s", "p50", "p99", "non_2xx"))
            print(f"| {name} (50 questions) | {figures} |")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
