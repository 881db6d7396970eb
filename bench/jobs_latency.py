"""Jobs: enqueue-to-start latency and drain rate of no-op jobs on Redis, one worker as `make run`
starts it (the Procfile's worker line), side by side in one run:

- the issue's start: the outbox publishes each job over a fresh broker connection (so the queue is
  declared again every time) and the worker, the code of --before (git archive), opens a new
  database connection before every task (DATABASE_CONN_MAX_AGE=0);
- the last session's path: publish over the app's pooled broker connection, the --before worker
  given DATABASE_CONN_MAX_AGE=600 (then the only way it kept its connection);
- ours: this tree, the worker with no extra environment (it keeps its connection,
  WORKER_DATABASE_CONN_MAX_AGE; each task result one INSERT ... ON CONFLICT), the publish after
  commit without the row lock (jobs.outbox.publish_committed);
- plain Celery: `.delay()`, no outbox, on our worker.

Latency is from just before the enqueueing transaction opens to the first line of the task's body
(time.time() in both processes), jobs paced --interval apart. The drain fills the queue with --drain
jobs while the worker is stopped, then times the worker from the first body's start to the last
result stored. Usage: make bench  (or: .venv/bin/python bench/jobs_latency.py --jobs 1000 --drain 20000)
"""

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from common import BENCH_ENV, ROOT, exported, setup_django

# Redis databases of this benchmark's own, so it may run beside the others.
BENCH_ENV["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/12"
BENCH_ENV["CACHE_URL"] = "redis://127.0.0.1:6379/13"
setup_django("drillquiz_bench_jobs")

import redis
from django.conf import settings
from django.db import transaction
from django_celery_results.models import TaskResult
from noop_tasks import noop

from drillquiz.celery import app
from jobs import outbox
from jobs.models import OutboxMessage
from jobs.services import enqueue

BIN = Path(sys.executable).parent
# enqueue() takes only routed tasks; the benchmark's own no-op goes where the Procfile's worker reads.
settings.CELERY_TASK_ROUTES[noop.name] = {"queue": "default"}
POOLED_BROKER_CONNECTION = outbox.broker_connection
UNLOCKED_PUBLISH = outbox.publish_committed


def locked_publish(message: OutboxMessage) -> None:
    """The publish after commit before this branch: always through publish's row lock."""
    outbox.publish([message.pk])


@contextlib.contextmanager
def fresh_broker_connection() -> Iterator[object]:
    """Today's publish: a new broker connection for every job, tried once."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=outbox.CONNECT_SECONDS)
        yield connection


def worker_command() -> str:
    """The Procfile's worker line, with this benchmark's node name and its no-op task."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    return line.removeprefix("worker:").strip() + " --hostname bench-jobs@%h --include noop_tasks"


class Worker:
    """The worker in a process group of its own (shell, main process and pool), its log in a file."""

    def __init__(self, log: Path, tree: Path, **env: str) -> None:
        self.log = log
        self.tree = tree
        self.env = {**os.environ, **BENCH_ENV, "PATH": f"{BIN}:{os.environ['PATH']}", **env}
        self.env["PYTHONPATH"] = str(tree / "bench")
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Worker":
        ready_before = self.log.read_text().count(" ready.") if self.log.exists() else 0
        with self.log.open("ab") as out:
            # exec: the process waited for is the worker's main process, not a shell in front of it.
            command = ["sh", "-c", f"exec env {worker_command()}"]
            self.process = subprocess.Popen(
                command, cwd=self.tree, env=self.env, stdout=out, stderr=out, start_new_session=True
            )
        wait_until(lambda: self.log.read_text().count(" ready.") > ready_before, 60, "the worker to be ready")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # the pool processes, if any are left
            os.killpg(self.process.pid, signal.SIGKILL)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"error: timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def through_outbox() -> str:
    task_id = str(uuid.uuid4())
    with transaction.atomic():  # as a view's transaction would
        enqueue(noop.name, task_id=task_id)
    return task_id


def plain_celery() -> str:
    return str(noop.delay().id)


def started_at(task_ids: list[str]) -> dict[str, float]:
    """When each job's body started, by task id, for the jobs done so far."""
    results = TaskResult.objects.filter(task_id__in=task_ids, status="SUCCESS").values_list("task_id", "result")
    return {task_id: json.loads(result) for task_id, result in results}


def clean_slate() -> None:
    TaskResult.objects.all().delete()
    OutboxMessage.objects.all().delete()
    redis.Redis.from_url(BENCH_ENV["CELERY_BROKER_URL"]).flushdb()


def latencies(send: Callable[[], str], jobs: int, interval: float) -> list[float]:
    """Enqueue-to-start in ms of jobs sent interval seconds apart (after a few unmeasured ones)."""
    for _ in range(20):
        send()
    enqueued: dict[str, float] = {}
    for _ in range(jobs):
        before = time.time()
        enqueued[send()] = before
        time.sleep(max(0.0, before + interval - time.time()))
    ids = list(enqueued)
    wait_until(lambda: len(started_at(ids)) == jobs, 120, "the measured jobs")
    return [(start - enqueued[task_id]) * 1000 for task_id, start in started_at(ids).items()]


def drain(worker: Worker, send: Callable[[], str], jobs: int) -> tuple[float, float]:
    """Jobs/s of enqueueing `jobs` with the worker stopped, and of the worker draining them."""
    clean_slate()
    began = time.perf_counter()
    for _ in range(jobs):
        send()
    enqueue_rate = jobs / (time.perf_counter() - began)
    done = TaskResult.objects.filter(status="SUCCESS")
    print(f"{jobs} jobs enqueued at {enqueue_rate:.0f}/s; draining", file=sys.stderr)
    with worker:
        wait_until(lambda: done.count() >= jobs, 1800, "the drain")
    first = min(json.loads(result) for result in done.values_list("result", flat=True).iterator())
    last = max(done.values_list("date_done", flat=True)).timestamp()
    return enqueue_rate, jobs / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000, help="jobs whose latency is measured, per path")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between those jobs")
    parser.add_argument("--drain", type=int, default=20_000, help="jobs drained on ours and plain Celery")
    parser.add_argument("--old-drain", type=int, default=2_000, help="jobs drained on the two older paths")
    parser.add_argument("--before", default="76d11ca", help="the commit whose worker the older paths run")
    options = parser.parse_args()

    rows: list[tuple[str, list[float], float, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as workdir, exported(options.before) as before:
        # (label, the worker's tree, its environment, the outbox's broker connection if not the pool's)
        paths = [
            ("issue start (fresh connections)", before, {"DATABASE_CONN_MAX_AGE": "0"}, fresh_broker_connection),
            ("last session (pooled broker, CONN_MAX_AGE=600)", before, {"DATABASE_CONN_MAX_AGE": "600"}, None),
            ("ours", ROOT, {}, None),
            ("plain Celery .delay() (no outbox), our worker", ROOT, {}, None),
        ]
        for label, tree, env, connection in paths:
            old = tree != ROOT
            outbox.broker_connection = connection or POOLED_BROKER_CONNECTION  # type: ignore[assignment]
            outbox.publish_committed = locked_publish if old else UNLOCKED_PUBLISH
            send = plain_celery if label.startswith("plain") else through_outbox
            worker = Worker(Path(workdir) / f"worker-{len(rows)}.log", tree, DATABASE_POOL="off", **env)
            clean_slate()
            with worker:
                print(f"{label}: measuring latency", file=sys.stderr)
                measured = latencies(send, options.jobs, options.interval)
            drained = options.old_drain if old else options.drain
            enqueue_rate, drain_rate = drain(worker, send, drained)
            rows.append((label, measured, enqueue_rate, drained, drain_rate))
            print(f"{label}: done", file=sys.stderr)

    print(f"\nNo-op jobs on Redis, one worker as the Procfile starts it: `{worker_command()}`")
    print(f"Latency: {options.jobs} jobs {options.interval * 1000:g} ms apart.\n")
    print("| path | p50 | p90 | p99 | max | enqueue jobs/s | drained | drain jobs/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, measured, enqueue_rate, drained, drain_rate in rows:
        p50, p90, p99 = (percentile(measured, share) for share in (0.5, 0.9, 0.99))
        print(
            f"| {label} | {p50:.1f} ms | {p90:.1f} ms | {p99:.1f} ms | {max(measured):.1f} ms "
            f"| {enqueue_rate:.0f} | {drained} | {drain_rate:.0f} |"
        )
    ours = statistics.median(rows[2][1])
    print(f"\np50 ratios to ours: issue start {statistics.median(rows[0][1]) / ours:.2f}, ", end="")
    print(f"last session {statistics.median(rows[1][1]) / ours:.2f}; ", end="")
    print(f"drain ours/plain Celery {rows[2][4] / rows[3][4]:.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
