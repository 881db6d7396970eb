"""The shared cast of users and objects tests build on."""

from typing import Any

from accounts.models import User

PASSWORD = "correct horse battery staple"


def make_user(username: str, **fields: Any) -> User:
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=PASSWORD, **fields)
