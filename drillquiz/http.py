"""The request type of views behind a login check, for every app."""

from typing import Generic, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

UserT = TypeVar("UserT", bound=AbstractBaseUser)


class AuthenticatedRequest(HttpRequest, Generic[UserT]):
    """`request.user` is a signed-in user to mypy: AuthenticatedRequest[User] where a view reads
    the learner's own fields, AuthenticatedRequest[AbstractBaseUser] where any user does."""

    user: UserT  # type: ignore[assignment]  # the stubs type it as AUTH_USER_MODEL, which drillquiz/ cannot import
