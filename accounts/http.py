from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """The request type of views behind a login check, so `request.user` is a User to mypy."""

    user: User
