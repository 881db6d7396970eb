from typing import TypedDict

from django.http import HttpRequest

from notifications import services
from notifications.models import Notification

LATEST = 5


class Bell(TypedDict, total=False):
    bell_unread: int
    bell_latest: list[Notification]


def bell(request: HttpRequest) -> Bell:
    """The unread count and latest notifications for the bell on every page (two queries, logged in only)."""
    if not request.user.is_authenticated:
        return {}
    latest = list(request.user.notifications.all()[:LATEST])
    return {"bell_unread": services.unread(request.user.pk).count(), "bell_latest": latest}
