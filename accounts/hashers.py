"""The site's password hasher: Argon2id sized for a web pod, run on a few threads of its own."""

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


@cache
def hashing_threads() -> ThreadPoolExecutor:
    """The threads that run this process's hashes (PASSWORD_HASHES_AT_ONCE); other hashes wait their turn.

    glibc keeps a freed block of up to 32 MiB in the malloc arena of the thread that freed it, and
    Django's ASGI handler runs each request in a new thread: hashed there, every arena kept a hash's
    19 MiB (126 MiB after six threads). On threads of their own the same blocks are used again.
    """
    return ThreadPoolExecutor(max_workers=settings.PASSWORD_HASHES_AT_ONCE, thread_name_prefix="password-hash")


os.register_at_fork(after_in_child=hashing_threads.cache_clear)  # a forked child has none of its parent's threads


class PodSizedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the configuration OWASP recommends as a minimum: 19 MiB, 2 passes, 1 lane.

    Django's defaults (100 MiB, parallelism 8) cost 0.3 s of CPU a hash, and six logins at once took
    a web process to 695 MiB (BENCHMARKS.md, bench/auth.py), past the web pod's 512 MiB limit: a few
    anonymous login POSTs, which hash even for an unknown username, could get the pod killed. Any
    memory-hard hash can be stacked up that way, so hashes also wait for one of a few threads. The
    algorithm's name stays "argon2": hashes with Django's defaults still verify and are re-hashed with
    these at their owner's next login.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return hashing_threads().submit(super().encode, password, salt).result()

    def verify(self, password: str, encoded: str) -> bool:
        return hashing_threads().submit(super().verify, password, encoded).result()
