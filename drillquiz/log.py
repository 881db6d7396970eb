"""Logging filters: the current task on every line, and no secret in any line."""

import logging
import re
from functools import cache
from urllib.parse import urlsplit

from celery import current_task
from django.conf import settings
from django.core.signals import setting_changed

# user:password@ in any URL-like string, e.g. redis://:pw@host or postgres://u:pw@host.
URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]+@", re.IGNORECASE)
REDACTED = "***"


class TaskContextFilter(logging.Filter):
    """Adds task_id and task_name (or '-') so worker lines say which task wrote them."""

    def filter(self, record: logging.LogRecord) -> bool:
        # current_task is a proxy: it is falsy outside a task, never None.
        if current_task and current_task.request.id:
            record.task_id = current_task.request.id
            record.task_name = current_task.name
        else:
            record.task_id = "-"
            record.task_name = "-"
        return True


@cache
def secret_values() -> tuple[str, ...]:
    """The configured secrets, longest first; read once, on the first log line."""
    candidates = [
        settings.SECRET_KEY,
        settings.EMAIL_HOST_PASSWORD,
        settings.SLACK_WEBHOOK_URL,
        # Its path alone is the token, and HTTP client debug lines show the path without the host.
        webhook_path(settings.SLACK_WEBHOOK_URL),
        settings.TRANSLATION_API_KEY,
        *(database.get("PASSWORD", "") for database in settings.DATABASES.values()),
        *(url_password(url) for url in connection_urls()),
    ]
    return tuple(sorted({value for value in candidates if value and len(value) >= 4}, key=len, reverse=True))


def connection_urls() -> list[str]:
    """Every configured URL that may carry a password: the broker, caches, live events, backups."""
    urls = [getattr(settings, name, "") for name in ("CELERY_BROKER_URL", "EVENTS_REDIS_URL", "BACKUP_DATABASE_URL")]
    for cache_settings in settings.CACHES.values():
        location = cache_settings.get("LOCATION", "")
        urls += [location] if isinstance(location, str) else list(location)
    return urls


def url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:  # not a URL (a file cache's folder, say)
        return ""


def webhook_path(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if len(path) >= 16 else ""  # a short path is no token, and redacting it would hide words


def forget_secret_values(**kwargs: object) -> None:
    """Tests change settings: the next line reads the secrets again."""
    secret_values.cache_clear()


setting_changed.connect(forget_secret_values)


def redact(text: str) -> str:
    """Return text with every configured secret and every URL password replaced by ***."""
    for secret in secret_values():
        text = text.replace(secret, REDACTED)
    return URL_PASSWORD.sub(rf"\g<scheme>:{REDACTED}@", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites the message and traceback of a record with its secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
