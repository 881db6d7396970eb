"""Signup and login POST latency, and a web process's peak memory, with three password hashers side by side.

Starts three web processes as `make run` does (uvicorn, ASGI, one worker each) on one fresh PostgreSQL
database, the same code and settings except PASSWORD_HASHERS: Django's default order (PBKDF2 first),
Django's Argon2 first (100 MiB, parallelism 8) and the site's (accounts/hashers.py: Argon2id at 19 MiB,
1 lane, at most PASSWORD_HASHES_AT_ONCE hashes at once). One client thread per --clients GETs each form
(for the CSRF token) and times its POST, rotating through the servers request by request (and which goes
first, round by round), so all see the same machine. Login users are stored with the hasher their server
prefers, so no login re-hashes a password. Then --burst logins are sent to each server at once, and its
peak resident memory (VmHWM) is read. Also times the hashers alone in this process.
Usage: .venv/bin/python bench/auth.py --rounds 100 --clients 1 --burst 6
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
from pathlib import Path

import requests
from common import BENCH_ENV, ROOT, setup_django

sys.path.insert(0, str(ROOT))
from tests.processes import free_port

setup_django("drillquiz_bench_auth")

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, PBKDF2PasswordHasher

from accounts.hashers import PodSizedArgon2PasswordHasher
from accounts.models import User

PASSWORD = "bench-Auth-pass-7731"  # noqa: S105 - the throwaway accounts of a fresh benchmark database
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DJANGOS_ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
# Django 5.2's default PASSWORD_HASHERS, in its order: what the site used before Argon2 came first.
DJANGO_DEFAULT = [
    PBKDF2,
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    DJANGOS_ARGON2,
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
DESIGNS = {
    "PBKDF2 first": DJANGO_DEFAULT,
    "Django's Argon2": [DJANGOS_ARGON2, *(h for h in DJANGO_DEFAULT if h != DJANGOS_ARGON2)],
    "the site's Argon2": settings.PASSWORD_HASHERS,
}
HASHERS: dict[str, BasePasswordHasher] = {
    "PBKDF2 first": PBKDF2PasswordHasher(),
    "Django's Argon2": Argon2PasswordHasher(),
    "the site's Argon2": PodSizedArgon2PasswordHasher(),
}
USER_TAGS = {"PBKDF2 first": "pbkdf2", "Django's Argon2": "django-argon2", "the site's Argon2": "site-argon2"}


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


def form_token(http: requests.Session, base: str, path: str) -> str:
    """GET the form; the CSRF token it carries."""
    form = http.get(f"{base}{path}", timeout=30)
    token = CSRF_INPUT.search(form.text)
    if token is None:
        raise SystemExit(f"error: {path} answered {form.status_code} without a CSRF token.")
    return token.group(1)


def post(http: requests.Session, base: str, path: str, data: dict[str, str], token: str, expect: int) -> float:
    """POST the form; the seconds it took."""
    started = time.perf_counter()
    answer = http.post(f"{base}{path}", data={**data, "csrfmiddlewaretoken": token}, timeout=60, allow_redirects=False)
    took = time.perf_counter() - started
    if answer.status_code != expect:
        raise SystemExit(f"error: POST {path} answered {answer.status_code}, not {expect}.")
    return took


def timed_post(base: str, path: str, data: dict[str, str], expect: int) -> float:
    """GET the form in a fresh browser, then POST it; the seconds the POST took."""
    with requests.Session() as http:
        return post(http, base, path, data, form_token(http, base, path), expect)


def login_data(design: str) -> dict[str, str]:
    return {"username": f"login-{USER_TAGS[design]}", "password": PASSWORD}


def drive(number: int, rounds: int, bases: dict[str, str], samples: dict[tuple[str, str], list[float]]) -> None:
    order = list(bases)
    for round_ in range(rounds):
        first = round_ % len(order)
        for design in order[first:] + order[:first]:
            name = f"c{number}r{round_}{USER_TAGS[design]}"
            signup = {
                "username": name,
                "email": f"{name}@example.com",
                "language": "en",
                "password1": PASSWORD,
                "password2": PASSWORD,
            }
            samples[(design, "signup POST")].append(timed_post(bases[design], "/accounts/signup/", signup, 302))
            samples[(design, "login POST")].append(
                timed_post(bases[design], "/accounts/login/", login_data(design), 302)
            )


def login_burst(base: str, design: str, count: int) -> float:
    """count browsers GET the login form, then all POST at once; the seconds until the last answer."""
    ready = threading.Barrier(count + 1)
    sessions = [requests.Session() for _ in range(count)]

    def log_in(http: requests.Session) -> None:
        token = form_token(http, base, "/accounts/login/")
        ready.wait()
        post(http, base, "/accounts/login/", login_data(design), token, 302)

    threads = [threading.Thread(target=log_in, args=(http,)) for http in sessions]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    for http in sessions:
        http.close()
    return time.perf_counter() - started


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kib = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    if kib is None:
        raise SystemExit(f"error: /proc/{pid}/status has no VmHWM line.")
    return int(kib.group(1)) / 1024


def cost(hasher: BasePasswordHasher) -> str:
    if isinstance(hasher, Argon2PasswordHasher):
        return f"{hasher.memory_cost} KiB, time cost {hasher.time_cost}, parallelism {hasher.parallelism}"
    if isinstance(hasher, PBKDF2PasswordHasher):
        return f"{hasher.iterations} iterations"
    return str(hasher.algorithm)


def hash_alone(rounds: int) -> dict[str, float]:
    """Median seconds of one hash per hasher, in this process (no web, no database)."""
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for design, hasher in HASHERS.items():
            started = time.perf_counter()
            hasher.encode(PASSWORD, hasher.salt())
            times[design].append(time.perf_counter() - started)
    return {design: statistics.median(values) for design, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100, help="signups and logins per client and server")
    parser.add_argument("--clients", type=int, default=1, help="client threads")
    parser.add_argument("--burst", type=int, default=6, help="logins sent to each server at once at the end")
    options = parser.parse_args()

    for design, hasher in HASHERS.items():
        tag = USER_TAGS[design]
        User.objects.create(
            username=f"login-{tag}", email=f"{tag}@example.com", password=hasher.encode(PASSWORD, hasher.salt())
        )
    ports = {design: free_port() for design in DESIGNS}
    servers = {design: start_web(ports[design], hashers) for design, hashers in DESIGNS.items()}
    bases = {design: f"http://127.0.0.1:{port}" for design, port in ports.items()}
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    bursts: dict[str, tuple[float, float, float]] = {}
    try:
        for base in bases.values():
            wait_for(base)
        # One untimed signup and login each, so no server's first request pays for its imports.
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
        for design, base in bases.items():
            before = peak_memory_mib(servers[design].pid)
            took = login_burst(base, design, options.burst)
            bursts[design] = (before, peak_memory_mib(servers[design].pid), took)
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.wait()
    stored = User.objects.filter(username__startswith="c0r0").values_list("username", "password")
    prefixes = {username: password.rsplit("$", 2)[0] for username, password in stored}

    print(f"{options.clients} client(s), {options.rounds} rounds each, {elapsed:.0f} s; hashes stored: {prefixes}")
    print("| web process | kind | requests | p50 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for (design, kind), values in sorted(samples.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"| {design} | {kind} | {len(values)} | {p50:.1f} ms | {p99:.1f} ms |")
    for kind in ("signup POST", "login POST"):
        site = percentile(samples[("the site's Argon2", kind)], 0.5)
        ratios = ", ".join(
            f"/ {design} {site / percentile(samples[(design, kind)], 0.5):.2f}"
            for design in DESIGNS
            if design != "the site's Argon2"
        )
        print(f"{kind} p50, the site's Argon2 {ratios}")
    print(f"\n| web process | peak memory before | after {options.burst} logins at once | the burst took |")
    print("| --- | --- | --- | --- |")
    for design, (before, after, took) in bursts.items():
        print(f"| {design} | {before:.0f} MiB | {after:.0f} MiB | {took * 1000:.0f} ms |")
    alone = hash_alone(20)
    print("\none hash alone (median of 20, this process):")
    for design, hasher in HASHERS.items():
        print(f"  {design}: {alone[design] * 1000:.1f} ms ({cost(hasher)})")


if __name__ == "__main__":
    main()
