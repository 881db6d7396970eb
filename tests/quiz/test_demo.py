"""`make run` loads demo exams: real topics, valid files, loaded once however often it runs."""

from django.core.management import call_command

from quiz.models import Exam, Question


def test_the_demo_data_loads_once_and_is_worth_practising(db: None) -> None:
    call_command("load_demo")
    call_command("load_demo")

    assert Exam.objects.published().count() >= 3
    assert Question.objects.count() >= 40
    assert set(Exam.objects.values_list("source_language", flat=True)) == {"en", "ko"}
    assert not Question.objects.filter(explanation="").exists()
