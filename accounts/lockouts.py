"""django-axes' cache handler, kept answering while the cache is down.

Axes counts failed logins in the cache. With its own handler, a cache outage turned every login and
signup (which logs in) into a 500, after the signup had created the account. Here, while the cache's
Redis is down, a login is neither checked against a lockout nor counted (the lockout fails open), and
a successful login leaves the old count to expire by itself. A lockout that began before the outage
holds again once the cache is back, since its count is still there.
"""

import logging
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from django.http import HttpRequest

from drillquiz.once import CACHE_DOWN

logger = logging.getLogger(__name__)


class OutageTolerantCacheHandler(AxesCacheHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        try:
            failures: int = super().get_failures(request, credentials)
        except CACHE_DOWN as error:
            logger.warning(
                "login failures unknown while the cache is down (%s): no lockout applies", type(error).__name__
            )
            return 0
        return failures

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        except CACHE_DOWN as error:
            logger.warning("a failed login was not counted: the cache is down (%s)", type(error).__name__)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        except CACHE_DOWN as error:
            logger.warning("failed logins not reset after a login: the cache is down (%s)", type(error).__name__)
