"""`make run` loads demo exams: real topics in Korean and English, loaded once however often it runs,
shown in either language without a pseudo-translation; what an editor adds later is still translated."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from pytest import MonkeyPatch

from accounts.models import User
from quiz import attempts, exam_io, translatable
from quiz.management.commands import load_demo
from quiz.models import Attempt, Choice, Exam, Question, ReviewItem
from tests.factories import make_exam
from translations import registry
from translations.models import Translation

# What the pseudo provider leaves in a text: "[ko] " or "[en] " in front, and its accented letters.
PSEUDO_PREFIX = re.compile(r"\[(?:ko|en)\] ")
PSEUDO_LETTERS = set("àéîõüÀÉÎÕÜçñšý")
BANNER = 'class="banner banner-translation"'


def pseudo_text_in(page: str) -> list[str]:
    """The pseudo-translated bits of a page: empty when every text is a real one."""
    return PSEUDO_PREFIX.findall(page) + sorted(PSEUDO_LETTERS & set(page))


def learner_pages(client: Client, learner: User) -> dict[str, str]:
    """Every learner page that shows demo content, by URL: each exam's page, take page and result
    (answered wrongly, so the reviews fill), then the review card before and after its answer."""
    client.force_login(learner)
    pages = {url: client.get(url) for url in ["/", "/exams/", "/exams/?tag=python", "/attempts/", "/progress/"]}
    for exam in Exam.objects.published():
        pages[f"/exams/{exam.slug}/"] = client.get(f"/exams/{exam.slug}/")
        attempt = attempts.start_attempt(learner, exam, Attempt.Mode.EXAM)
        pages[f"/attempts/{attempt.pk}/"] = client.get(f"/attempts/{attempt.pk}/")
        questions = list(attempts.questions_of(attempt))
        wrong = {question.pk: {question.choices.filter(is_correct=False)[0].pk} for question in questions}
        assert attempts.submit_exam(attempt, questions, wrong, set())
        pages[f"/attempts/{attempt.pk}/result/"] = client.get(f"/attempts/{attempt.pk}/result/")
    pages["/reviews/"] = client.get("/reviews/")
    item = ReviewItem.objects.filter(user=learner).order_by("due", "pk")[0]
    choice = item.question.choices.all()[0]
    pages["/reviews/ checked"] = client.post(f"/reviews/{item.pk}/check/", {"answer": choice.pk})
    for url, response in pages.items():
        assert response.status_code == 200, url
    return {url: response.content.decode() for url, response in pages.items()}


def test_the_demo_data_loads_once_and_is_worth_practising(db: None) -> None:
    call_command("load_demo")
    call_command("load_demo")

    assert Exam.objects.published().count() >= 5
    assert Question.objects.count() >= 100
    assert set(Exam.objects.values_list("source_language", flat=True)) == {"en", "ko"}
    assert not Question.objects.filter(explanation="").exists()
    assert Question.objects.filter(text__contains="```").count() >= 10  # code blocks
    assert Question.objects.filter(kind=Question.Kind.MULTIPLE).count() >= 15


def test_every_demo_text_has_a_human_translation_into_the_other_language(db: None) -> None:
    call_command("load_demo")

    plans = translatable.plan(Exam.objects.all())

    assert {plan.subject.pk for plan in plans} == set(Exam.objects.values_list("pk", flat=True))
    for plan in plans:
        assert set(plan.counts) == {"fresh"}, (str(plan.subject), plan.language, plan.counts)
    assert set(Translation.objects.values_list("origin", flat=True)) == {Translation.Origin.HUMAN}


def test_each_demo_file_is_what_an_export_of_the_loaded_exam_writes(db: None) -> None:
    call_command("load_demo")

    for path in sorted(load_demo.DEMO_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        assert exam_io.export_exam(Exam.objects.get(slug=data["slug"])) == data, path.name


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_demo_shows_no_pseudo_text_on_any_learner_page(learner: User, language: str) -> None:
    call_command("load_demo")

    pages = learner_pages(Client(HTTP_ACCEPT_LANGUAGE=language), learner)

    for url, page in pages.items():
        assert f'<html lang="{language}">' in page, url
        assert pseudo_text_in(page) == [], url
        assert BANNER not in page, url


def test_the_demo_exams_read_in_each_language(client: Client, learner: User) -> None:
    call_command("load_demo")
    client.force_login(learner)

    korean = client.get("/exams/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get("/exams/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "쿠버네티스 기초" in korean and "파이썬 기초" in korean
    assert "Kubernetes basics" in english and "Python basics" in english


def test_what_an_editor_adds_to_a_demo_exam_later_is_pseudo_translated_under_a_banner(
    client: Client, learner: User
) -> None:
    call_command("load_demo")
    exam = Exam.objects.get(slug="python-basics")
    question = Question.objects.create(exam=exam, text="What does `print(1 + 1)` print?", order=99)
    Choice.objects.bulk_create(
        [Choice(question=question, text="2", is_correct=True), Choice(question=question, text="11")]
    )
    client.force_login(learner)
    attempt = attempts.start_attempt(learner, exam, Attempt.Mode.EXAM)

    page = client.get(f"/attempts/{attempt.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    # Pseudo-translated around its code, which stays as written and renders as code.
    assert "<p>[ko] Whàt dõéš <code>print(1 + 1)</code> prîñt?</p>" in page
    assert "파이썬 기초" in page  # the demo's own texts keep their stored translation
    assert f'{BANNER} role="status"' in page


def test_an_exam_an_editor_adds_later_is_pseudo_translated_under_a_banner(client: Client, db: None) -> None:
    call_command("load_demo")
    make_exam("added-later", title="Added later")

    page = client.get("/exams/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "[ko] Àddéd làtér" in page
    assert BANNER in page


def test_a_demo_exam_an_earlier_version_loaded_is_replaced_and_an_edited_one_kept(
    db: None, monkeypatch: MonkeyPatch
) -> None:
    shipped = make_exam("python-basics", questions=2)
    edited = make_exam("celery-essentials", questions=2)
    monkeypatch.setattr(load_demo, "EARLIER_DEMOS", {load_demo.fingerprint(exam_io.export_exam(shipped))})
    pseudo = Translation.objects.create(
        model="quiz.question",
        object_id=shipped.questions.all()[0].pk,
        field="text",
        language="ko",
        text="[ko] Qüéšté...",
        source_hash=registry.source_hash("Question 1 of python-basics?"),
    )

    call_command("load_demo")

    assert not Exam.objects.filter(pk=shipped.pk).exists()
    assert Exam.objects.get(slug="python-basics").questions.count() >= 20
    assert not Translation.objects.filter(pk=pseudo.pk).exists()
    assert Exam.objects.get(slug="celery-essentials").pk == edited.pk
    assert edited.questions.count() == 2
