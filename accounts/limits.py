"""Rate limits on account pages that a stranger can use to make us send email.

django-ratelimit is used as a library, not listed in INSTALLED_APPS: all its app adds is system checks,
which warn about Django's own Redis cache (its INCR is atomic) and fail the embedded file cache.
"""

import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from drillquiz.once import CACHE_DOWN

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address as axes sees it (behind the ingress too), so both limits agree on who asks."""
    return get_client_ip_address(request) or "unknown"


def password_reset_limited(request: HttpRequest, email: str) -> bool:
    """Count one password reset request; True when its client address or its email asked too often.

    Counted whether or not an account has that email, so the answer tells nothing about accounts.
    While the cache is down nothing can be counted, so every request is limited (nothing is sent),
    as django-ratelimit does when its cache answers nothing; it raises on a refused connection.
    """
    try:
        # django-ratelimit has no type hints; is_ratelimited returns a bool.
        by_address: bool = is_ratelimited(
            request,
            group="password-reset-address",
            key="ip",
            rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS,
            increment=True,
        )
        by_email: bool = is_ratelimited(
            request,
            group="password-reset-email",
            key=lambda group, request: email.strip().lower(),
            rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
            increment=True,
        )
    except CACHE_DOWN as error:
        logger.warning(
            "password reset refused: its limit cannot be counted while the cache is down (%s)", type(error).__name__
        )
        return True
    return by_address or by_email
