"""The question blocks of the exam and result pages, rendered once and kept in the cache.

Drawing 50 questions and their choices is most of either page's time. The blocks hold no request's
data (no CSRF token, no timer, no message): the key says everything they show, so a block is reused
only while all of it is unchanged:
  - the exam's content: `Exam.updated`, which every save or delete of one of its questions or choices
    moves (quiz.signals), and in another language the count and latest change of its stored translations;
  - the page's language and the translation provider (its label is shown);
  - the attempt (its choice order) and every answer's choices, flag and verdict.
Only a page whose translation is complete is kept: one that shows a notice, or still has machine
translations to save, is drawn afresh until they are stored.
"""

import hashlib
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q

from drillquiz.once import CACHE_DOWN
from quiz.attempts import AnswerState
from quiz.models import Attempt, Choice, Exam, Question
from translations import providers, registry
from translations.models import Translation
from translations.service import PageTranslation


@dataclass(frozen=True)
class Blocks:
    """A page's rendered blocks (name -> HTML), the exam's title and the translation label they go with."""

    title: str
    label: str
    html: dict[str, str]


def translations_version(exam: Exam, language: str) -> str:
    """How many of the exam's stored translations into `language` there are, and when the last one changed."""
    if language == exam.source_language:
        return ""
    questions = Question.objects.filter(exam=exam).values("pk")
    choices = Choice.objects.filter(question__exam=exam).values("pk")
    rows = Translation.objects.filter(language=language).filter(
        Q(model=registry.label(Exam), object_id=exam.pk)
        | Q(model=registry.label(Question), object_id__in=questions)
        | Q(model=registry.label(Choice), object_id__in=choices)
    )
    found = rows.aggregate(count=Count("pk"), latest=Max("updated"))
    return f"{found['count']}:{found['latest'].isoformat() if found['latest'] else ''}"


def key(page: str, attempt: Attempt, answers: Mapping[int, AnswerState], language: str) -> str:
    state = sorted(answers.items())
    exam = attempt.exam
    parts = [
        page,
        attempt.pk,
        exam.pk,
        exam.updated.isoformat(),
        translations_version(exam, language),
        language,
        providers.configured().name,
        state,
    ]
    return f"page-blocks:{page}:{attempt.pk}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def blocks(
    page: str,
    attempt: Attempt,
    answers: Mapping[int, AnswerState],
    language: str,
    draw: Callable[[], tuple[dict[str, str], PageTranslation]],
) -> tuple[Blocks, PageTranslation]:
    """The page's blocks from the cache, else drawn (draw() returns them and the page's translation)."""
    timeout = settings.PAGE_BLOCKS_CACHE_SECONDS
    name = key(page, attempt, answers, language)
    found = None
    if timeout:
        with suppress(*CACHE_DOWN):  # no cache: the page is drawn, as it would be on a miss
            found = cache.get(name)
    if isinstance(found, Blocks):
        attempt.exam.title = found.title  # shown in the page's language, as localize() would
        return found, PageTranslation(language, label=found.label)
    html, translation = draw()
    drawn = Blocks(attempt.exam.title, translation.label, html)
    if timeout and not translation.notice and not translation.pending:
        with suppress(*CACHE_DOWN):
            cache.set(name, drawn, timeout)
    return drawn, translation
