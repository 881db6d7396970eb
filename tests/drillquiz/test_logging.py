"""No secret ever reaches a log line."""

import logging
import sys

import pytest
from django.conf import settings

from drillquiz.log import RedactSecretsFilter, redact


def test_a_password_in_any_url_is_redacted() -> None:
    text = "connect to redis://:s3cret-pass@redis:6379/0 and postgres://app:pg-pass@db/app failed"

    assert redact(text) == "connect to redis://:***@redis:6379/0 and postgres://app:***@db/app failed"


def test_the_secret_key_is_redacted_from_message_and_traceback() -> None:
    secret = settings.SECRET_KEY
    try:
        raise ValueError(f"bad key {secret}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "using %s", (secret,), exc_info=None)
        record.exc_info = sys.exc_info()

    RedactSecretsFilter().filter(record)

    assert secret not in record.getMessage()
    assert record.exc_text is not None
    assert secret not in record.exc_text
    assert "bad key ***" in record.exc_text


@pytest.mark.parametrize("text", ["", "plain words", "http://example.com/path"])
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text
