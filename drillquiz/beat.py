"""Celery beat's scheduler: django-celery-beat's DatabaseScheduler (schedules edited in Admin take
effect without a restart), plus two things it lacks:

- a leader lock in Redis, so a second beat started by mistake stands by instead of sending every
  task twice; it takes over within BEAT_LEADER_TTL_SECONDS if the leader dies;
- a heartbeat file touched on every tick, which `manage.py beat_health` checks (the liveness probe);
- the leader's heartbeat in Redis, whose age the metrics exporter reports (`heartbeat_age`).
"""

import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.lock import Lock

logger = logging.getLogger(__name__)

LEADER_KEY = "drillquiz:beat-leader"
HEARTBEAT_KEY = "drillquiz:beat-heartbeat"
# The leader's heartbeat key expires after this long; its age is how far its time to live has run down,
# on Redis's own clock, so the exporter's and beat's clocks need not agree.
HEARTBEAT_KEY_SECONDS = 24 * 3600


def redis_client(timeout: float = 5) -> redis.Redis | None:
    """A client of the cache's Redis; None with the embedded default (one beat, no Redis)."""
    cache = settings.CACHES["default"]
    if "redis" not in cache["BACKEND"].lower():
        return None
    return redis.Redis.from_url(cache["LOCATION"], socket_timeout=timeout, socket_connect_timeout=timeout)


def leader_lock() -> Lock | None:
    """The lock in the cache's Redis; None with the embedded default (one beat, no Redis)."""
    client = redis_client()
    if client is None:
        return None
    return Lock(client, LEADER_KEY, timeout=settings.BEAT_LEADER_TTL_SECONDS, thread_local=False)


class LeaderScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = leader_lock()
        self.leading = self.lock is None
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        Path(settings.BEAT_HEARTBEAT_FILE).touch()
        if not self.hold_leadership():
            return min(float(self.max_interval), settings.BEAT_LEADER_TTL_SECONDS / 3)
        return float(super().tick(*args, **kwargs))

    def hold_leadership(self) -> bool:
        if self.lock is None:
            return True
        was_leading = self.leading
        try:
            if self.lock.owned():  # also after a Redis restart that kept our key
                self.lock.reacquire()
                self.leading = True
            else:
                self.leading = self.lock.acquire(blocking=False)
            if self.leading:
                self.lock.redis.set(HEARTBEAT_KEY, "1", ex=HEARTBEAT_KEY_SECONDS)
        except redis.exceptions.LockError:
            self.leading = False
        except redis.RedisError as error:
            # Without Redis the broker is down too; standing by cannot double anything.
            logger.warning("beat cannot reach Redis for its leader lock (%s); standing by", type(error).__name__)
            self.leading = False
        if self.leading and not was_leading:
            logger.info("this beat is the leader now; it sends the periodic tasks")
            self._initial_read = True  # read last run times from the database: the old leader saved them
        elif was_leading and not self.leading:
            logger.warning("this beat lost the leader lock; standing by")
        return self.leading

    def close(self) -> None:
        super().close()
        if self.lock is not None and self.leading:
            with contextlib.suppress(redis.RedisError):  # else it expires by itself
                self.lock.release()


def heartbeat_age(timeout: float) -> float:
    """Seconds since the leading beat last held its lock: from its key in Redis, or with the embedded
    default from the heartbeat file; infinite when there is none. Raises when Redis does not answer."""
    client = redis_client(timeout)
    if client is None:
        try:
            return max(0.0, time.time() - Path(settings.BEAT_HEARTBEAT_FILE).stat().st_mtime)
        except FileNotFoundError:
            return math.inf
    with client:
        left = client.pttl(HEARTBEAT_KEY)
    if left < 0:  # no such key (-2), or one without an expiry (-1) that beat did not write
        return math.inf
    return HEARTBEAT_KEY_SECONDS - left / 1000
