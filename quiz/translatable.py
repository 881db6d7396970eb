"""What of an exam is translated (registered with translations.registry when the app is ready), and an
exam's translation work: what is fresh, stale or missing, per language."""

from django.db import models
from django.db.models import QuerySet

from drillquiz.languages import language_codes
from quiz.models import Choice, Exam, Question
from translations import backfill, registry


def register() -> None:
    registry.register(Exam, ("title", "description"), "source_language")
    registry.register(Question, ("text", "explanation"), "exam__source_language")
    registry.register(Choice, ("text",), "question__exam__source_language")


def objects_of(exam: Exam) -> list[models.Model]:
    questions = list(Question.objects.filter(exam=exam))
    choices = list(Choice.objects.filter(question__exam=exam))
    return [exam, *questions, *choices]


def plan_exam(exam: Exam, languages: list[str]) -> list[backfill.Plan]:
    """What is fresh, stale or missing for each target language of one exam (3 + languages queries)."""
    return backfill.plan_objects(exam, objects_of(exam), exam.source_language, languages)


def plan(exams: QuerySet[Exam], language: str | None = None) -> list[backfill.Plan]:
    languages = [language] if language else language_codes()
    return [item for exam in exams for item in plan_exam(exam, languages)]
