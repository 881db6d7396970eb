"""Logging filters: the current task on every line, and no secret in any line."""

import logging
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from celery import current_task
from django.conf import settings
from django.core.signals import setting_changed

REDACTED = "***"
# Where the user name of a URL's user:password@ ends, and where its password ends. Each is one
# character class searched forward: no quantifier, so no backtracking.
USER_END = re.compile(r"[:/@\s]")
PASSWORD_END = re.compile(r"[@\s]")


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
        settings.SENTRY_DSN,
        urlsplit(settings.SENTRY_DSN).username or "",  # the key in https://KEY@host/project
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
    return redact_url_passwords(text)


def redacted(value: Any) -> Any:
    """The value with every string in it (at any depth) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    return value


def redact_url_passwords(text: str) -> str:
    """Replace the password of each ``://user:password@`` in text (redis://:pw@host -> redis://:***@host).

    One pass, in time linear in the length of text: log lines carry what a stranger sends (a URL
    path, a task name), and the backtracking pattern this replaces took 44 s on 80,000 letters.
    Each character is looked at a bounded number of times: a password that runs into whitespace or
    the end of text without an @ fails every ``://`` before that point too, so the scan jumps past it.
    """
    pieces, copied = [], 0
    start = text.find("://")
    while start != -1:
        user_end = USER_END.search(text, start + 3)
        if user_end is None:
            break
        if text[user_end.start()] != ":":  # no password: the user name ran into / @ or whitespace
            start = text.find("://", user_end.start())
            continue
        password_end = PASSWORD_END.search(text, user_end.end())
        if password_end is None:
            break
        at = password_end.start()
        if text[at] == "@" and at > user_end.end():
            pieces += [text[copied : user_end.end()], REDACTED]
            copied = at
        start = text.find("://", at)
    return "".join(pieces) + text[copied:] if pieces else text


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
