import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from jobs.retry import retry_with_backoff
from notifications import slack
from notifications.payloads import SlackMessage

logger = logging.getLogger(__name__)

SLACK_MAX_TRIES = 5


@shared_task(bind=True, pydantic=True, max_retries=SLACK_MAX_TRIES - 1, soft_time_limit=30, time_limit=45)
def send_slack_alert(self: Task[Any, Any], payload: SlackMessage) -> str:
    """Post one message to the Slack webhook; 429 waits for Retry-After, 5xx and network errors back off."""
    if not settings.SLACK_WEBHOOK_URL:
        logger.info("Slack alert dropped: no SLACK_WEBHOOK_URL")
        return "skipped"
    try:
        slack.post(settings.SLACK_WEBHOOK_URL, payload.model_dump())
    except slack.SlackRetryLater as error:
        logger.warning("Slack alert not delivered (%s); retry %d", error, self.request.retries + 1)
        raise retry_with_backoff(self, error, settings.SLACK_RETRY_BASE_SECONDS, after=error.after) from None
    return "sent"
