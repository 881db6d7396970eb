from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A callable as the choices, so adding a language to settings.LANGUAGES needs no migration.
from drillquiz.languages import language_choices


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A learner, editor or admin; the profile lives on the user itself."""

    language = models.CharField(_("display language"), max_length=8, choices=language_choices, default="ko")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_time_zone])
    reminder_hour = models.PositiveSmallIntegerField(
        _("reminder hour"),
        default=9,
        validators=[MaxValueValidator(23)],
        help_text=_("Local hour (0-23) at which the daily review reminder is sent."),
    )
    reminders_enabled = models.BooleanField(_("email reminders"), default=True)
    desired_retention = models.FloatField(
        _("desired retention"),
        default=0.90,
        validators=[MinValueValidator(0.70), MaxValueValidator(0.97)],
        help_text=_(
            "The share of reviews you want to get right: higher means more reviews, more often (0.70 to 0.97)."
        ),
    )
    new_cards_per_day = models.PositiveSmallIntegerField(
        _("new cards a day"), default=20, validators=[MaxValueValidator(1000)]
    )
    reviews_per_day = models.PositiveSmallIntegerField(
        _("reviews a day"), default=200, validators=[MaxValueValidator(5000)]
    )
    # Set when the welcome email is claimed for sending, so a task run twice sends it once.
    welcome_email_sent = models.DateTimeField(null=True, blank=True, editable=False)

    def local_now(self) -> datetime:
        """Now, in the user's own time zone."""
        return timezone.localtime(timezone=ZoneInfo(self.time_zone))

    def local_today(self) -> date:
        """Today's date where the user is; reviews fall due by this date."""
        return self.local_now().date()


class Lockout(models.Model):
    """A username and client address that axes locked out after repeated failed logins.

    Axes counts the failures in the cache, which Admin cannot list; this row is written when the lockout
    starts (and its end moved when the client tries again meanwhile), so staff can see and clear it.
    The cache entry, not this row, is what refuses the login.
    """

    username = models.CharField(_("username"), max_length=150)
    ip_address = models.GenericIPAddressField(_("address"), null=True)
    path = models.CharField(_("login page"), max_length=255)
    locked_at = models.DateTimeField(_("locked at"), auto_now_add=True)
    locked_until = models.DateTimeField(_("locked until"))

    class Meta:
        verbose_name = _("login lockout")
        verbose_name_plural = _("login lockouts")
        ordering = ["-locked_until"]
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"], name="lockout_one_per_username_and_address")
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address}"

    @property
    def is_active(self) -> bool:
        return self.locked_until > timezone.now()
