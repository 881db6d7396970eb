"""The quiz tasks' arguments (quiz.tasks), described once; Celery validates them."""

from typing import Annotated

from pydantic import Field, RootModel

from drillquiz.payloads import IsoDate, ObjectId
from quiz.reminders import CHUNK_SIZE


class ReminderPairs(RootModel[Annotated[list[tuple[ObjectId, IsoDate]], Field(min_length=1, max_length=CHUNK_SIZE)]]):
    """One chunk of the hourly fan-out: [[user id, "YYYY-MM-DD" (their local date)], ...]."""
