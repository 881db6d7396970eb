"""Load benchmark of the take-exam and result pages of a 50-question exam, beside its stack's ceiling.

Runs the web process as `make run` does (uvicorn, ASGI, DEBUG off) against PostgreSQL, with a logged-in
learner and a 50-question exam, and drives it with wrk: the take and result pages, a trivial view
through the same middleware (bench/trivial_view.py: it reads request.user) and /healthz (answered
before the session and user middleware). Each configuration is a web process of its own, all started
at once and measured in turn, round by round, the order reversed every other round:
  - "this tree": the code as it is, with its defaults;
  - each --env NAME=VALUE given: this tree with that setting (e.g. DATABASE_POOL=off);
  - with --baseline REF: the code of another commit (`git archive`), on the same database.
While wrk runs, the PostgreSQL connections of the web process it drives (both its workers) are counted
(pg_stat_activity, every 100 ms, by application_name) and the largest count is reported.
Usage: make bench  (or: .venv/bin/python bench/pages.py --baseline main --env DATABASE_POOL=off)
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

from common import BENCH_ENV, ROOT, serving, session_cookie, setup_django, wrk

DATABASE = "drillquiz_bench"
# The benchmark process itself holds no pooled connections, so the count is the web processes' alone.
os.environ["DATABASE_POOL"] = "off"
setup_django(DATABASE)


import psycopg
from django.db import connections

from quiz import attempts
from tests.factories import make_exam, make_user, right_answers

FIRST_PORT = 8765
APP = "trivial_view:application"
TIMEOUT = 30  # seconds: today's slowest responses must count in its p99, not drop out as wrk's timeouts


def prepare() -> tuple[str, dict[str, str]]:
    """A fresh benchmark database with a learner, an open attempt and a finished one."""
    user = make_user("bench")
    exam = make_exam("bench-50", questions=50)
    open_attempt = attempts.start_attempt(user, exam)
    done = attempts.start_attempt(user, exam)
    selections = {int(name[1:]): set(ids) for name, ids in right_answers(exam).items()}
    attempts.submit_exam(done, attempts.questions_of(done), selections, flagged=set())
    pages = {
        "take (50 questions)": f"/attempts/{open_attempt.pk}/",
        "result (50 questions)": f"/attempts/{done.pk}/result/",
        "trivial view": "/bench/trivial/",
        "/healthz": "/healthz",
    }
    return session_cookie(user), pages


def application_name(port: int) -> str:
    """What a web process's connections call themselves (libpq's PGAPPNAME), to count them apart."""
    return f"bench-pages-{port}"


class ConnectionCounter(threading.Thread):
    """The largest number of PostgreSQL connections of one web process's workers while it runs."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stopped = threading.Event()
        self.largest = 0

    def run(self) -> None:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
        with psycopg.connect(BENCH_ENV["DATABASE_URL"], autocommit=True) as connection:
            while not self.stopped.is_set():
                row = connection.execute(query, [DATABASE, application_name(self.port)]).fetchone()
                self.largest = max(self.largest, row[0] if row else 0)
                self.stopped.wait(0.1)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.largest


def measured(port: int, path: str, cookie: str, duration: int, connections_: int) -> dict[str, float]:
    counter = ConnectionCounter(port)
    counter.start()
    try:
        result = wrk(f"http://127.0.0.1:{port}{path}", cookie, duration, connections_, TIMEOUT)
    finally:
        result_connections = counter.stop()
    return {**result, "connections": result_connections}


def baseline_tree(ref: str, into: Path) -> Path:
    """The source of commit `ref`, ready to serve (static files collected, catalogues compiled)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    env = {**os.environ, "STATIC_ROOT": str(into / "var" / "static")}
    python = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin")
    collect = [f"{python}/python", "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collect, cwd=into, env=env, check=True)
    catalogues = ["--domain", "django", "--directory", "locale"]
    subprocess.run([f"{python}/pybabel", "compile", *catalogues], cwd=into, check=True, capture_output=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF", help="also serve this commit's code, e.g. main")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="also this tree with it")
    options = parser.parse_args()

    cookie, pages = prepare()
    connections.close_all()
    del os.environ["DATABASE_POOL"]
    with ExitStack() as stack:
        # Every process serves the same site: the bench's trivial view, a path of its own, added to each.
        bench_path = {"PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")])}
        configurations: dict[str, tuple[Path, dict[str, str]]] = {"this tree": (ROOT, {})}
        for setting in options.env:
            name, _, value = setting.partition("=")
            configurations[f"this tree, {setting}"] = (ROOT, {name: value})
        if options.baseline:
            into = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dq-pages-baseline-")))
            configurations[f"baseline {options.baseline}"] = (baseline_tree(options.baseline, into), {})
        ports = {}
        for number, (name, (tree, env)) in enumerate(configurations.items()):
            ports[name] = FIRST_PORT + number
            own = {**bench_path, "PGAPPNAME": application_name(ports[name]), **env}
            stack.enter_context(serving(ports[name], options.web_workers, APP, tree, own))

        for port in ports.values():  # templates compiled, pools filled: no round starts cold
            for path in pages.values():
                wrk(f"http://127.0.0.1:{port}{path}", cookie, 2, options.connections, TIMEOUT)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        print("| round | code | page | requests/s | p50 ms | p99 ms | non-2xx | PostgreSQL connections |", end=" ")
        print(f"({options.connections} connections, {options.duration} s each)")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for round_number in range(options.rounds):
            order = list(configurations) if round_number % 2 == 0 else list(reversed(configurations))
            for name in order:
                for page, path in pages.items():
                    result = measured(ports[name], path, cookie, options.duration, options.connections)
                    results.setdefault((name, page), []).append(result)
                    print(
                        f"| {round_number + 1} | {name} | {page} | {result['requests_per_s']:.2f} | "
                        f"{result['p50']:.2f} | {result['p99']:.2f} | {result['non_2xx']:.0f} | "
                        f"{result['connections']:.0f} |",
                        flush=True,
                    )

    keys = ("requests_per_s", "p50", "p99")
    medians = {key: {k: statistics.median(r[k] for r in runs) for k in keys} for key, runs in results.items()}
    most = {key: max(r["connections"] for r in runs) for key, runs in results.items()}
    print("\n| code | page | median requests/s | median p50 ms | median p99 ms | most connections |", end=" ")
    print(f"(of {options.rounds} rounds)")
    print("| --- | --- | --- | --- | --- | --- |")
    for (name, page), figures in medians.items():
        print(
            f"| {name} | {page} | {figures['requests_per_s']:.2f} | {figures['p50']:.2f} | {figures['p99']:.2f} | "
            f"{most[name, page]} |"
        )
    print()
    for name in configurations:
        ceiling = medians[name, "trivial view"]["requests_per_s"]
        for page in list(pages)[:2]:
            share = medians[name, page]["requests_per_s"] / ceiling
            print(f"{name}, {page}: {share:.3f}x the trivial view's requests/s")
    for name in list(configurations)[1:]:
        for page in list(pages)[:2]:
            new, old = medians["this tree", page], medians[name, page]
            print(
                f"this tree / {name}, {page}: requests/s {new['requests_per_s'] / old['requests_per_s']:.2f}x, "
                f"p99 {new['p99'] / old['p99']:.3f}x"
            )


if __name__ == "__main__":
    main()
