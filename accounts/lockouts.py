"""django-axes' cache handler, kept answering while the cache is down.

Axes counts failed logins in the cache. With its own handler, a cache outage turned every login and
signup (which logs in) into a 500, after the signup had created the account. Here, while the cache's
Redis is down, a login is neither checked against a lockout nor counted (the lockout fails open), and
a successful login leaves the old count to expire by itself. A lockout that began before the outage
holds again once the cache is back, since its count is still there.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from django.http import HttpRequest

from drillquiz.once import CACHE_DOWN

logger = logging.getLogger(__name__)


@contextmanager
def cache_down_means(consequence: str) -> Iterator[None]:
    try:
        yield
    except CACHE_DOWN as error:
        logger.warning("the cache is down (%s): %s", type(error).__name__, consequence)


class OutageTolerantCacheHandler(AxesCacheHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures: int = 0
        with cache_down_means("login failures unknown, no lockout applies"):
            failures = super().get_failures(request, credentials)
        return failures

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        with cache_down_means("a failed login was not counted"):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        with cache_down_means("failed logins not reset after a login (they expire)"):
            super().user_logged_in(sender, request, user, **kwargs)
