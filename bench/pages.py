"""Load benchmark of the take-exam and result pages.

Runs the web process as `make run` does (uvicorn, ASGI) against PostgreSQL, with a logged-in
learner and a 50-question exam, and drives it with wrk. Prints requests/s and p50/p99 latency.
Usage: make bench  (or: .venv/bin/python bench/pages.py --duration 15 --connections 16)
"""

import argparse

from common import serving, session_cookie, setup_django, wrk

setup_django()


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
    return session_cookie(user), {"take": f"/attempts/{open_attempt.pk}/", "result": f"/attempts/{done.pk}/result/"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    options = parser.parse_args()

    cookie, pages = prepare()
    with serving(PORT, options.web_workers):
        print(f"| page | requests/s | p50 | p99 | non-2xx | ({options.connections} connections, {options.duration} s)")
        print("| --- | --- | --- | --- | --- |")
        for name, path in pages.items():
            result = wrk(f"http://127.0.0.1:{PORT}{path}", cookie, options.duration, options.connections)
            rate, p50, p99, non_2xx = (result[key] for key in ("requests_per_s", "p50", "p99", "non_2xx"))
            print(f"| {name} (50 questions) | {rate:.2f} | {p50:.2f} ms | {p99:.2f} ms | {non_2xx:.0f} |")


if __name__ == "__main__":
    main()
