"""Slack incoming webhooks: the message format, and one delivery attempt with a clear outcome."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import requests

from notifications.models import Level

COLOURS = {Level.SUCCESS: "#2eb67d", Level.INFO: "#36c5f0", Level.WARNING: "#ecb22e", Level.ERROR: "#e01e5a"}
TIMEOUT_SECONDS = 5
MAX_RETRY_AFTER_SECONDS = 300


class SlackRetryLater(Exception):
    """Slack or the network failed in a way that may pass; `after` is Slack's Retry-After, if it said one."""

    def __init__(self, reason: str, after: int | None = None) -> None:
        super().__init__(reason)
        self.after = after


class SlackRejected(Exception):
    """Slack refused the message itself (4xx other than 429): sending it again would not help."""


class Field(TypedDict):
    title: str
    value: str
    short: bool


class Attachment(TypedDict):
    color: str
    title: str
    text: str
    fields: list[Field]
    fallback: str
    title_link: NotRequired[str]


class Message(TypedDict):
    """A webhook payload as Slack's legacy attachments format describes it."""

    text: str
    attachments: list[Attachment]


def message(level: str, title: str, text: str = "", fields: dict[str, str] | None = None, link: str = "") -> Message:
    """The webhook payload: one attachment coloured by level, with a title, text, fields and link."""
    attachment: Attachment = {
        "color": COLOURS[Level(level)],
        "title": title,
        "text": text,
        "fields": [{"title": name, "value": value, "short": len(value) < 40} for name, value in (fields or {}).items()],
        "fallback": f"[{level}] {title}",
    }
    if link:
        attachment["title_link"] = link
    return {"text": f"[{level}] {title}", "attachments": [attachment]}


def post(webhook_url: str, payload: Mapping[str, object]) -> None:
    """Deliver one payload; raises SlackRetryLater or SlackRejected when it was not accepted."""
    try:
        response = requests.post(webhook_url, json=payload, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        # The exception text can hold the webhook URL, which is a secret: keep only its type.
        raise SlackRetryLater(f"{type(error).__name__} talking to Slack") from None
    if response.status_code == 429:
        raise SlackRetryLater("Slack rate limit (429)", after=retry_after(response.headers.get("Retry-After")))
    if response.status_code >= 500:
        raise SlackRetryLater(f"Slack answered {response.status_code}")
    if response.status_code >= 400:
        raise SlackRejected(f"Slack refused the message ({response.status_code}): {response.text[:200]}")


def retry_after(header: str | None) -> int | None:
    """Seconds from a Retry-After header given in seconds, capped; None when absent or unreadable."""
    if header is None or not header.strip().isdigit():
        return None
    return min(int(header), MAX_RETRY_AFTER_SECONDS)
