"""What task arguments may be, described once as Pydantic types, and the one error a task fails with
when its arguments are not that.

Each app's payloads.py describes its own tasks' arguments with these. Celery validates an argument
annotated with a model (`@shared_task(pydantic=True)`), and our base task (drillquiz.celery) turns
the ValidationError into InvalidTaskArguments: the task fails at once, without a retry.
"""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, RootModel, ValidationError

from drillquiz.ids import BIGINT_MAX
from drillquiz.languages import language_codes
from drillquiz.log import redact, redacted
from drillquiz.text import storable

# How much of a bad value an error quotes: enough to recognise it, never a 10 MB argument.
QUOTED_CHARACTERS = 60
QUOTED_PROBLEMS = 3


class InvalidTaskArguments(ValueError):
    """A task was given arguments it can never succeed with: it fails at once, without retrying."""


def invalid_arguments(error: ValidationError) -> InvalidTaskArguments:
    """The ValidationError of a task's argument as one short line: where, what, and a prefix of the value."""
    problems = []
    for problem in error.errors(include_url=False)[:QUOTED_PROBLEMS]:
        # Where: a dict key the sender chose may be long, or a secret.
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"])
        where = redact(where.removeprefix("."))[:QUOTED_CHARACTERS] or "value"
        # Our own validators' ValueError as they word it, without Pydantic's "Value error, " before it.
        said = str(problem["ctx"]["error"]) if problem["type"] == "value_error" else problem["msg"]
        # Each string redacted before repr() escapes it (an escaped secret is no longer recognised),
        # what repr() shows redacted again, and only then cut (nor is a cut one).
        quoted = redact(repr(redacted(problem["input"])))[:QUOTED_CHARACTERS]
        problems.append(f"{where}: {said} (got {quoted})")
    more = error.error_count() - len(problems)
    return InvalidTaskArguments(f"{error.title}: {'; '.join(problems)}" + (f"; and {more} more" if more else ""))


def exact_int(value: object) -> object:
    # Celery validates in Pydantic's lax mode, where True, 1.0 and "1" would pass for 1.
    if type(value) is not int:
        raise ValueError("expected an integer")
    return value


def iso_date_text(value: object) -> object:
    # In lax mode a number would pass for a date too, as a Unix time.
    if not isinstance(value, str):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def known_language(code: str) -> str:
    if code not in language_codes():
        raise ValueError(f"unknown language; known: {', '.join(language_codes())}")
    return code


def storable_text(text: str) -> str:
    if not storable(text):
        raise ValueError("text with NUL or an unpaired surrogate cannot be stored")
    return text


# A row's id as the database keeps it (bigint); never a bool, a float or a string of digits.
ObjectId = Annotated[int, BeforeValidator(exact_int), Field(gt=0, le=BIGINT_MAX)]
# A date as the producers write it, "YYYY-MM-DD".
IsoDate = Annotated[date, BeforeValidator(iso_date_text)]
Language = Annotated[str, AfterValidator(known_language)]
# After a max_length (Annotated[str, Field(max_length=...), Storable]): the length is checked first.
Storable = AfterValidator(storable_text)


class UserId(RootModel[ObjectId]):
    """The id of the user a task is for (whether that user still exists is the task's to check)."""


class LanguageCode(RootModel[Language]):
    """One of the site's languages (settings.LANGUAGES)."""
