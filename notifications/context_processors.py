from django.http import HttpRequest

from notifications import services

LATEST = 5


def bell(request: HttpRequest) -> dict:
    """The unread count and latest notifications for the bell on every page (two queries, logged in only)."""
    if not request.user.is_authenticated:
        return {}
    latest = list(request.user.notifications.all()[:LATEST])
    return {"bell_unread": services.unread(request.user.pk).count(), "bell_latest": latest}
