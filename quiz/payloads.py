"""The quiz tasks' arguments (quiz.tasks), described once; Celery validates them."""

from datetime import date
from typing import Annotated

from pydantic import Field, RootModel

from drillquiz.payloads import ObjectId
from quiz.reminders import CHUNK_SIZE


class ReminderPairs(RootModel[Annotated[list[tuple[ObjectId, date]], Field(min_length=1, max_length=CHUNK_SIZE)]]):
    """One chunk of the hourly fan-out: [[user id, "YYYY-MM-DD" (their local date)], ...]."""
