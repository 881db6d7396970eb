"""The translations list names what each row translates, shows its whole text, and filters by state and exam."""

import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from quiz.models import Exam
from tests.factories import make_exam, make_user
from translations import registry, storage
from translations.models import Translation

LONG = "Pods are the smallest deployable units of computing that you can create and manage in Kubernetes. " * 3


@pytest.fixture
def editor(client: Client, db: None) -> Client:
    client.force_login(make_user("editor", is_staff=True, is_superuser=True))
    return client


def translate(exam: Exam, language: str = "ko", text: str = "번역") -> None:
    """A fresh machine translation of every text of the exam."""
    objects = [exam, *exam.questions.all(), *(c for q in exam.questions.all() for c in q.choices.all())]
    storage.upsert(
        language,
        "pseudo",
        [
            storage.Entry(registry.label(type(obj)), obj.pk, name, text, registry.source_hash(getattr(obj, name)))
            for obj in objects
            for name in registry.FIELDS[type(obj)]
            if getattr(obj, name)
        ],
    )


def listed(client: Client, **query: str) -> list[Translation]:
    response = client.get("/admin/translations/translation/", query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_each_row_names_the_exam_question_or_choice_it_translates_with_a_link(editor: Client) -> None:
    exam = make_exam("python", questions=1, title="Python basics")
    question = exam.questions.get()
    translate(exam)

    page = editor.get("/admin/translations/translation/").content.decode()

    assert f'Exam: <a href="/admin/quiz/exam/{exam.pk}/change/">Python basics</a>' in page
    assert f'Question: <a href="/admin/quiz/question/{question.pk}/change/">Question 1 of python?</a>' in page
    choice = f'Choice: <a href="/admin/quiz/question/{question.pk}/change/">Answer A (of Question 1 of python?)</a>'
    assert choice in page  # a choice is edited on its question's page
    cells = re.findall(r'<td class="field-translated">(.*?)</td>', page)
    assert len(cells) == 7 and not any("quiz." in cell for cell in cells)


def test_a_long_text_is_shortened_in_the_list_whole_on_hover_and_on_its_page(editor: Client) -> None:
    exam = make_exam("python", questions=0)
    translate(exam, text=LONG)
    row = Translation.objects.get(field="title")

    page = editor.get("/admin/translations/translation/").content.decode()
    change = editor.get(f"/admin/translations/translation/{row.pk}/change/").content.decode()

    assert f'<span title="{LONG}">{LONG[:79]}…</span>' in page
    assert LONG in change.split("<textarea")[1]


def test_a_row_whose_object_is_gone_says_so(editor: Client) -> None:
    exam = make_exam("python", questions=0, title="Gone soon")
    translate(exam)
    exam_id = exam.pk
    exam.delete()

    page = editor.get("/admin/translations/translation/").content.decode()

    assert f"Exam {exam_id} (deleted)" in page


def test_the_list_runs_as_many_queries_for_a_page_of_100_rows_as_for_7(
    editor: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    translate(make_exam("small", questions=1))
    listed(editor)
    with django_assert_max_num_queries(20) as few:
        assert len(listed(editor)) == 7
    for number in range(4):
        translate(make_exam(f"large-{number}", questions=5))

    with django_assert_max_num_queries(len(few) + 1) as many:  # +1: the exam filter lists more exams
        assert len(listed(editor)) == 100  # a full page of the 119

    assert len(many) <= len(few) + 1


def test_the_list_filters_by_exam_and_language(editor: Client) -> None:
    python, k8s = make_exam("python", questions=1), make_exam("k8s", questions=2)
    translate(python)
    translate(k8s)
    translate(k8s, language="en")  # as if edited in Korean and shown in English too

    of_python = listed(editor, exam=str(python.pk))
    of_k8s_in_english = listed(editor, exam=str(k8s.pk), language__exact="en")

    assert len(of_python) == 7
    assert {(row.model, row.object_id) for row in of_python} >= {("quiz.exam", python.pk)}
    assert len(of_k8s_in_english) == 13 and {row.language for row in of_k8s_in_english} == {"en"}
    assert listed(editor, exam="not-an-id") == []


def test_the_list_filters_by_state_fresh_stale_and_human(editor: Client) -> None:
    exam = make_exam("python", questions=1)
    translate(exam)
    question = exam.questions.get()
    question.text = "Reworded?"
    question.save()
    Translation.objects.filter(field="explanation").update(origin=Translation.Origin.HUMAN)

    stale = listed(editor, freshness="stale")
    human = listed(editor, freshness="human")
    fresh = listed(editor, freshness="fresh")

    assert [(row.model, row.field) for row in stale] == [("quiz.question", "text")]
    assert [(row.model, row.field) for row in human] == [("quiz.question", "explanation")]
    assert len(fresh) == 6


def test_missing_lists_no_rows_and_says_how_many_texts_of_each_exam_are_not_translated(editor: Client) -> None:
    exam = make_exam("python", questions=1, title="Python basics")
    make_exam("done", questions=0, title="Done")
    translate(Exam.objects.get(slug="done"))

    response = editor.get("/admin/translations/translation/", {"freshness": "missing", "language__exact": "ko"})

    assert list(response.context["cl"].result_list) == []
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [f"{exam.title}, ko: 7 texts not translated yet.", "The exam list's action translates them."]


def test_a_saved_link_to_the_list_from_when_translations_were_the_quiz_apps_still_opens(editor: Client) -> None:
    response = editor.get("/admin/quiz/translation/", {"freshness": "stale", "language__exact": "ko"})

    assert response.status_code == 301
    assert response["Location"] == "/admin/translations/translation/?freshness=stale&language__exact=ko"
