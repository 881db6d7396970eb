"""No secret ever reaches a log line."""

import logging
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from drillquiz.log import RedactSecretsFilter, redact, redact_url_passwords


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


# --- Linear time on what a stranger sends (issue #15) -------------------------------------------------

MEGABYTE = 1_000_000
# The shapes that made the old pattern backtrack, or that make a naive scan restart: a long word, a
# long run of digits, many "://" with no "@" after them, a password that never ends, a user name that
# never ends, and an "@" only at the very end.
WORST_CASES = {
    "letters": "a" * MEGABYTE,
    "digits": "9" * MEGABYTE,
    "schemes without a password": "a://" * (MEGABYTE // 4),
    "passwords without an @": "://:x" * (MEGABYTE // 5),
    "one password that never ends": "redis://:" + "p" * MEGABYTE,
    "one user name that never ends": "redis://" + "u" * MEGABYTE,
    "an @ only at the end": "s://u:p" * (MEGABYTE // 7) + "@",
}


@pytest.mark.parametrize("text", WORST_CASES.values(), ids=WORST_CASES.keys())
def test_redacting_a_megabyte_of_the_worst_case_takes_linear_time(text: str) -> None:
    started = time.perf_counter()
    redacted = redact(text)
    elapsed = time.perf_counter() - started

    # A generous guard: linear time is milliseconds here; the old pattern would have taken hours.
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert len(redacted) <= len(text)


def test_a_megabyte_log_line_goes_through_the_filter_in_linear_time() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "Not Found: /exams/%s/", ("a" * MEGABYTE,), None)

    started = time.perf_counter()
    RedactSecretsFilter().filter(record)

    assert time.perf_counter() - started < 5
    assert record.getMessage().endswith("a/")


def test_a_page_for_a_megabyte_of_letters_answers_its_404_at_once(client: Client, db: None) -> None:
    started = time.perf_counter()
    response = client.get(f"/exams/{'a' * MEGABYTE}/")

    assert response.status_code == 404
    assert time.perf_counter() - started < 5


def test_a_password_after_a_url_without_one_is_still_redacted() -> None:
    text = "see http://example.com/a://u:pw@host and ftp://anonymous@host and x://u:@h then s://u:pw2@h"

    assert (
        redact(text) == "see http://example.com/a://u:***@host and ftp://anonymous@host and x://u:@h then s://u:***@h"
    )


# Pieces of URLs: a scheme, a user name (no : / @ or space), a password (no @ or space), a host.
schemes = st.from_regex(r"[a-z][a-z0-9+.-]{0,8}", fullmatch=True)
users = st.text(st.characters(exclude_characters=":/@", exclude_categories=["Z", "Cc"]), max_size=8)
passwords = st.text(st.characters(exclude_characters="@", exclude_categories=["Z", "Cc"]), min_size=1, max_size=12)
hosts = st.from_regex(r"[a-z0-9.-]{1,12}(:[0-9]{1,5})?", fullmatch=True)
# Words around them hold no "@": only a URL's own "@" can then end a ":password@".
words = st.text(st.characters(exclude_characters="@", exclude_categories=["Z", "Cc"]), max_size=12)
urls = st.tuples(schemes, users, passwords, hosts)


@given(st.lists(st.one_of(words.map(lambda word: (word,)), urls), max_size=8))
def test_redaction_hides_the_password_of_every_url_in_a_line(pieces: list[tuple[str, ...]]) -> None:
    line = " ".join("{}://{}:{}@{}".format(*piece) if len(piece) == 4 else piece[0] for piece in pieces)

    redacted = redact(line)

    for piece in pieces:
        if len(piece) == 4:
            scheme, user, password, host = piece
            assert f"{scheme}://{user}:***@{host}" in redacted
            assert f":{password}@" not in redacted


@given(st.text(max_size=200).filter(lambda text: "://" not in text))
def test_redaction_leaves_a_line_without_a_url_as_it_is(text: str) -> None:
    assert redact_url_passwords(text) == text
