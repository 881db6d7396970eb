"""Doing a thing once in a while across processes, remembered in the cache.

The cache only saves work: when it is down (a Redis restart, a full disk for the file cache),
pages and commands go on without it and do the thing again rather than not at all.
"""

import redis
from django.core.cache import cache

CACHE_DOWN = (redis.RedisError, OSError)


def first_time_within(key: str, seconds: int) -> bool:
    """True the first time key is claimed within seconds (and whenever the cache is down)."""
    try:
        return bool(cache.add(key, 1, seconds))
    except CACHE_DOWN:
        return True
