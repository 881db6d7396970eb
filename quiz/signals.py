"""An exam's `updated` moves with every change of its questions and choices, wherever it is made (Admin,
a service, the shell): the cached question blocks of its pages are keyed on it (quiz.page_blocks)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from quiz.models import Choice, Exam, Question


@receiver([post_save, post_delete], sender=Question)
def question_changed(sender: type[Question], instance: Question, **kwargs: Any) -> None:
    Exam.objects.filter(pk=instance.exam_id).update(updated=timezone.now())


@receiver([post_save, post_delete], sender=Choice)
def choice_changed(sender: type[Choice], instance: Choice, **kwargs: Any) -> None:
    Exam.objects.filter(questions=instance.question_id).update(updated=timezone.now())
