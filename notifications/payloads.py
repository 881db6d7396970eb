"""The notification tasks' arguments (notifications.tasks), described once; Celery validates them."""

from pydantic import BaseModel, ConfigDict


class SlackMessage(BaseModel):
    """A Slack webhook message: its text, and whatever else Slack takes (blocks, attachments) as given."""

    model_config = ConfigDict(extra="allow")

    text: str
