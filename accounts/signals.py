"""What accounts does when axes locks a client out (connected in AccountsConfig.ready)."""

from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services


@receiver(user_locked_out, dispatch_uid="accounts.record_lockout")
def record_lockout(
    sender: object, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    services.record_lockout(request, username=username or "", ip_address=ip_address)
