"""A task's refused arguments are told in one short line that quotes no secret."""

import pytest
from pydantic import BaseModel, ValidationError
from pytest_django import Settings

from drillquiz.payloads import invalid_arguments
from quiz.payloads import ReminderPairs
from translations.payloads import Entries, Keys

# A password repr() would escape: its quote marks, a backslash and a tab.
ESCAPED_SECRET = "pa\\ss'w\"o\trd-hunter2"


def refusal(model: type[BaseModel], value: object) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(value)
    return str(invalid_arguments(caught.value))


def test_a_secret_that_repr_would_escape_is_not_quoted(settings: Settings) -> None:
    settings.EMAIL_HOST_PASSWORD = ESCAPED_SECRET

    told = refusal(Keys, [[ESCAPED_SECRET, 1, "title"]])

    assert "hunter2" not in told
    assert told.startswith("Keys: [0]: its model and field are not a translated field (got ")


def test_a_long_key_the_sender_chose_is_cut_and_a_secret_one_redacted(settings: Settings) -> None:
    settings.EMAIL_HOST_PASSWORD = "x" * 300 + "hunter2"
    entry = {"model": "quiz.exam", "id": 1, "field": "title", "text": "T", "hash": "h"}

    told = refusal(Entries, [{**entry, settings.EMAIL_HOST_PASSWORD: 1}])

    assert "hunter2" not in told
    assert len(told) < 300


def test_a_date_is_only_ever_the_text_the_producers_write() -> None:
    assert refusal(ReminderPairs, [[1, 1_700_000_000]]).startswith(
        "ReminderPairs: [0][1]: expected a date as YYYY-MM-DD (got 1700000000)"
    )
