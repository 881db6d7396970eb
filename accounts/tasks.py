from typing import Any

from celery import Task, shared_task
from django.conf import settings

from accounts import services
from accounts.models import User
from drillquiz.payloads import InvalidTaskArguments, UserId
from jobs.retry import retry_with_backoff
from notifications.email import MailServerUnavailable


@shared_task(bind=True, pydantic=True, max_retries=5, soft_time_limit=30, time_limit=45)
def send_welcome_email(self: Task[Any, Any], user_id: UserId) -> str:
    try:
        sent = services.send_welcome_email(user_id.root)
    except User.DoesNotExist:
        raise InvalidTaskArguments(f"no user {user_id.root}") from None
    except MailServerUnavailable as error:
        raise retry_with_backoff(self, error, settings.EMAIL_RETRY_BASE_SECONDS) from None
    return "sent" if sent else "already sent"
