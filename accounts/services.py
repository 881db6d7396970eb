"""Account use cases: signing up, the welcome email, unsubscribing from reminders, login lockouts."""

import logging
from collections.abc import Iterable

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Lockout, User
from jobs.services import enqueue
from notifications import email

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "accounts.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 90 * 24 * 3600  # older links still in an inbox show a clear "expired" page


@transaction.atomic
def register_user(*, username: str, email: str, password: str, language: str, time_zone: str) -> User:
    """Create a learner's account; the welcome email goes out once the account is committed."""
    user = User.objects.create_user(
        username=username, email=email, password=password, language=language, time_zone=time_zone
    )
    logger.info("user %s signed up (language %s, time zone %s)", user.pk, language, time_zone)
    enqueue("accounts.tasks.send_welcome_email", user.pk)
    return user


def unsubscribe_url(user: User) -> str:
    token = signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("accounts:unsubscribe", args=[token])


def user_from_unsubscribe_token(token: str) -> User:
    """The user a token was made for; raises signing.BadSignature (or SignatureExpired) otherwise."""
    user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        raise signing.BadSignature("no such user") from None


def turn_off_reminders(user: User) -> None:
    User.objects.filter(pk=user.pk).update(reminders_enabled=False)
    logger.info("user %s turned reminders off", user.pk)


def recipient(user: User) -> email.Recipient:
    return email.Recipient(user.email, user.language, unsubscribe_url(user))


def send_welcome_email(user_id: int) -> bool:
    """Send the welcome email once; False when it was already sent (or the user has no address).

    Raises email.MailServerUnavailable after releasing the claim, so a retry can send it.
    """
    user = User.objects.get(pk=user_id)
    if not user.email or not User.objects.filter(pk=user_id, welcome_email_sent=None).update(
        welcome_email_sent=timezone.now()
    ):
        return False
    message = email.build(recipient(user), "welcome", {"username": user.username})
    try:
        report = email.send_all([message])
    except email.MailServerUnavailable:
        User.objects.filter(pk=user_id).update(welcome_email_sent=None)
        raise
    return bool(report.sent)


def record_lockout(request: HttpRequest, *, username: str, ip_address: str | None) -> None:
    """Record (or extend) the lockout axes just imposed on a username and address, for Admin.

    Axes restarts the cool-off on every attempt during a lockout and sends its signal again, so the
    row's end moves with it; a lockout of the same pair that has already ended is replaced.
    """
    now = timezone.now()
    until = now + settings.AXES_COOLOFF_TIME
    pair = Lockout.objects.filter(username=username, ip_address=ip_address)
    if pair.filter(locked_until__gt=now).update(locked_until=until):
        return
    with transaction.atomic():
        pair.delete()
        lockout = Lockout.objects.create(
            username=username, ip_address=ip_address, locked_until=until, path=request.path[:255]
        )
    logger.warning("login lockout %s: %s from %s after repeated failures", lockout.pk, username, ip_address)


def clear_lockouts(lockouts: Iterable[Lockout]) -> int:
    """Let each username and address log in again at once: forget their failures and the record."""
    count = 0
    for lockout in lockouts:
        AxesProxyHandler.reset_attempts(username=lockout.username, ip_address=lockout.ip_address)
        logger.info("login lockout %s cleared (%s from %s)", lockout.pk, lockout.username, lockout.ip_address)
        lockout.delete()
        count += 1
    return count
