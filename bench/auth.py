"""Signup and login POST latency with PBKDF2 (Django's default) and with Argon2 first, side by side.

Starts two web processes as `make run` does (uvicorn, ASGI, one worker each) on one fresh PostgreSQL
database, the same code and settings except PASSWORD_HASHERS: one with Django's default order
(PBKDF2 first), one with the site's (Argon2 first). One client thread per --clients GETs each form
(for the CSRF token) and times its POST, alternating the two servers request by request (and which
goes first, round by round), so both see the same machine. Login users are stored with the hasher
their server prefers, so no login re-hashes a password. Also times the hashers alone in this process.
Prints requests, p50 and p99 per server and kind, and the Argon2 / PBKDF2 ratio of the medians.
Usage: .venv/bin/python bench/auth.py --rounds 100 --clients 1
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

import requests
from common import BENCH_ENV, ROOT, setup_django

sys.path.insert(0, str(ROOT))
from tests.processes import free_port

setup_django("drillquiz_bench_auth")

from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, make_password

from accounts.models import User

PASSWORD = "bench-Auth-pass-7731"  # noqa: S105 - the throwaway accounts of a fresh benchmark database
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
# Django 5.2's default PASSWORD_HASHERS, in its order: what the site used before Argon2 came first.
DJANGO_DEFAULT = [
    PBKDF2,
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ARGON2,
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
DESIGNS = {"PBKDF2 first": DJANGO_DEFAULT, "Argon2 first": [ARGON2, *(h for h in DJANGO_DEFAULT if h != ARGON2)]}
HASHER_NAMES = {"PBKDF2 first": "pbkdf2_sha256", "Argon2 first": "argon2"}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1), as bench/soak.py computes it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def start_web(port: int, hashers: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **BENCH_ENV, "PASSWORD_HASHERS": ",".join(hashers), "LOG_LEVEL": "WARNING"}
    args = [sys.executable, "-m", "uvicorn", "drillquiz.asgi:application", "--port", str(port), "--no-access-log"]
    return subprocess.Popen([*args, "--log-level", "warning"], cwd=ROOT, env=env)


def wait_for(base: str) -> None:
    for _ in range(150):
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"error: the web process at {base} did not answer /healthz within 30 s.")


def timed_post(base: str, path: str, data: dict[str, str], expect: int) -> float:
    """GET the form in a fresh browser, then POST it; the seconds the POST took."""
    with requests.Session() as http:
        form = http.get(f"{base}{path}", timeout=30)
        token = CSRF_INPUT.search(form.text)
        if token is None:
            raise SystemExit(f"error: {path} answered {form.status_code} without a CSRF token.")
        started = time.perf_counter()
        data = {**data, "csrfmiddlewaretoken": token.group(1)}
        answer = http.post(f"{base}{path}", data=data, timeout=60, allow_redirects=False)
        took = time.perf_counter() - started
        if answer.status_code != expect:
            raise SystemExit(f"error: POST {path} answered {answer.status_code}, not {expect}.")
        return took


def drive(number: int, rounds: int, bases: dict[str, str], samples: dict[tuple[str, str], list[float]]) -> None:
    order = list(bases)
    for round_ in range(rounds):
        for design in order if round_ % 2 == 0 else order[::-1]:
            name = f"c{number}r{round_}{HASHER_NAMES[design]}"
            signup = {
                "username": name,
                "email": f"{name}@example.com",
                "language": "en",
                "password1": PASSWORD,
                "password2": PASSWORD,
            }
            samples[(design, "signup POST")].append(timed_post(bases[design], "/accounts/signup/", signup, 302))
            login = {"username": f"login-{HASHER_NAMES[design]}", "password": PASSWORD}
            samples[(design, "login POST")].append(timed_post(bases[design], "/accounts/login/", login, 302))


def hash_alone(rounds: int) -> dict[str, float]:
    """Median seconds of one make_password per hasher, in this process (no web, no database)."""
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for hasher in ("pbkdf2_sha256", "argon2"):
            started = time.perf_counter()
            make_password(PASSWORD, hasher=hasher)
            times[hasher].append(time.perf_counter() - started)
    return {hasher: statistics.median(values) for hasher, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100, help="signups and logins per client and server")
    parser.add_argument("--clients", type=int, default=1, help="client threads")
    options = parser.parse_args()

    for design in DESIGNS:
        name = HASHER_NAMES[design]
        User.objects.create(
            username=f"login-{name}", email=f"{name}@example.com", password=make_password(PASSWORD, hasher=name)
        )
    ports = {design: free_port() for design in DESIGNS}
    servers = [start_web(ports[design], hashers) for design, hashers in DESIGNS.items()]
    bases = {design: f"http://127.0.0.1:{port}" for design, port in ports.items()}
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    try:
        for base in bases.values():
            wait_for(base)
        # One untimed signup and login each, so neither server's first request pays for its imports.
        drive(options.clients, 1, bases, defaultdict(list))
        began = time.monotonic()
        threads = [
            threading.Thread(target=drive, args=(number, options.rounds, bases, samples))
            for number in range(options.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    stored = User.objects.filter(username__startswith="c0r0").values_list("username", "password")
    prefixes = {username: password.split("$", 1)[0] for username, password in stored}

    print(f"{options.clients} client(s), {options.rounds} rounds each, {elapsed:.0f} s; hashes stored: {prefixes}")
    print("| web process | kind | requests | p50 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for (design, kind), values in sorted(samples.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"| {design} | {kind} | {len(values)} | {p50:.1f} ms | {p99:.1f} ms |")
    for kind in ("signup POST", "login POST"):
        argon2 = percentile(samples[("Argon2 first", kind)], 0.5)
        pbkdf2 = percentile(samples[("PBKDF2 first", kind)], 0.5)
        print(f"{kind} p50, Argon2 / PBKDF2: {argon2 / pbkdf2:.2f}")
    alone = hash_alone(20)
    print(
        f"one make_password alone (median of 20, this process): pbkdf2_sha256 {alone['pbkdf2_sha256'] * 1000:.1f} ms "
        f"({PBKDF2PasswordHasher.iterations} iterations), argon2 {alone['argon2'] * 1000:.1f} ms (time_cost "
        f"{Argon2PasswordHasher.time_cost}, memory_cost {Argon2PasswordHasher.memory_cost} KiB, parallelism "
        f"{Argon2PasswordHasher.parallelism})"
    )


if __name__ == "__main__":
    main()
