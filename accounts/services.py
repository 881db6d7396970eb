"""Account use cases: signing up and changing the profile."""

import logging

from django.db import transaction

from accounts.models import User

logger = logging.getLogger(__name__)


@transaction.atomic
def register_user(*, username: str, email: str, password: str, language: str) -> User:
    """Create a learner's account."""
    user = User.objects.create_user(username=username, email=email, password=password, language=language)
    logger.info("user %s signed up (language %s)", user.pk, language)
    return user
