"""Editors edit an exam's questions on pages of their own; the exam's page counts and links them."""

import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from quiz.models import Choice, Exam, Question
from tests.factories import make_exam, make_user
from translations import registry, storage


@pytest.fixture
def editor(client: Client, db: None) -> Client:
    client.force_login(make_user("editor", is_staff=True, is_superuser=True))
    return client


def exam_page(client: Client, exam: Exam) -> str:
    response = client.get(f"/admin/quiz/exam/{exam.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def choice_rows(question: Question, *rows: tuple[str, bool], keep: int = 0) -> dict[str, str]:
    """POST data of the question's choices inline: its first `keep` choices as they are, then new rows."""
    existing = list(question.choices.all())[:keep] if question.pk else []
    data = {
        "choices-TOTAL_FORMS": str(len(existing) + len(rows)),
        "choices-INITIAL_FORMS": str(len(existing)),
        "choices-MIN_NUM_FORMS": "2",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for index, choice in enumerate(existing):
        data |= {f"choices-{index}-id": str(choice.pk), f"choices-{index}-question": str(question.pk)}
        data |= {f"choices-{index}-order": str(choice.order), f"choices-{index}-text": choice.text}
        if choice.is_correct:
            data[f"choices-{index}-is_correct"] = "on"
    for index, (text, correct) in enumerate(rows, start=len(existing)):
        data |= {f"choices-{index}-order": str(index), f"choices-{index}-text": text}
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


def test_the_exam_page_of_a_100_question_exam_stays_small_and_runs_as_many_queries_as_for_3(
    editor: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    small, large = make_exam("small", questions=3), make_exam("large", questions=100)
    exam_page(editor, small)  # the session and the permissions are cached after the first page
    with django_assert_max_num_queries(20) as counted_small:
        exam_page(editor, small)

    with django_assert_max_num_queries(len(counted_small)) as counted_large:
        page = exam_page(editor, large)

    assert len(page.encode()) < 150_000
    assert len(counted_large) == len(counted_small)


def test_the_exam_page_counts_its_questions_and_links_each_one_the_list_and_adding(editor: Client) -> None:
    exam = make_exam("python", questions=3)

    page = exam_page(editor, exam)

    assert f'href="/admin/quiz/question/?exam__id__exact={exam.pk}">3 questions, 12 choices</a>' in page
    assert f'href="/admin/quiz/question/add/?exam={exam.pk}">Add question</a>' in page
    for question in exam.questions.all():
        assert f'href="/admin/quiz/question/{question.pk}/change/">{question.text}</a>' in page
    assert "djn-" not in page and 'name="questions-' not in page  # no inline of questions any more


def test_a_new_exam_says_to_save_it_before_adding_questions(editor: Client) -> None:
    page = editor.get("/admin/quiz/exam/add/").content.decode()

    assert "Save the exam first, then add its questions." in page


def test_an_editor_adds_a_question_with_its_choices_from_the_exam_page_and_returns_to_its_list(
    editor: Client,
) -> None:
    exam = make_exam("python", questions=3)
    form = editor.get(f"/admin/quiz/question/add/?exam={exam.pk}").content.decode()
    assert re.search(rf'<option value="{exam.pk}" selected>', form)
    assert 'name="order" value="3"' in form  # after the exam's last question

    data = {"exam": str(exam.pk), "order": "3", "kind": "single", "text": "Which keyword defines a function?"}
    response = editor.post(
        f"/admin/quiz/question/add/?exam={exam.pk}", data | choice_rows(Question(), ("def", True), ("fun", False))
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/quiz/question/?exam__id__exact={exam.pk}"
    added = Question.objects.get(exam=exam, text="Which keyword defines a function?")
    assert list(added.choices.values_list("text", "is_correct")) == [("def", True), ("fun", False)]


def test_a_question_needs_two_choices(editor: Client) -> None:
    exam = make_exam("python", questions=0)
    data = {"exam": str(exam.pk), "order": "0", "kind": "single", "text": "Alone?"}

    response = editor.post("/admin/quiz/question/add/", data | choice_rows(Question(), ("only", True)))

    assert response.status_code == 200
    assert "Please submit at least 2 forms." in response.content.decode()
    assert not Question.objects.filter(text="Alone?").exists()


def test_an_editor_edits_adds_and_deletes_choices_on_the_question_page(editor: Client) -> None:
    exam = make_exam("python", questions=1)
    question = exam.questions.get()
    first, second, *_rest = question.choices.all()
    page = editor.get(f"/admin/quiz/question/{question.pk}/change/").content.decode()
    assert f'href="/admin/quiz/exam/{exam.pk}/change/">{exam.title}</a>' in page  # the way back
    data = {"exam": str(exam.pk), "order": "0", "kind": "single", "text": "Renamed?", "explanation": ""}
    data |= choice_rows(question, ("Answer E", False), keep=4)
    data |= {"choices-0-text": "Answer A, reworded", "choices-1-DELETE": "on"}

    response = editor.post(f"/admin/quiz/question/{question.pk}/change/", data)

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "Renamed?"
    texts = list(question.choices.values_list("text", flat=True))
    assert texts == ["Answer A, reworded", "Answer C", "Answer D", "Answer E"]
    assert not Choice.objects.filter(pk=second.pk).exists()
    assert Choice.objects.get(pk=first.pk).is_correct


def test_an_editor_reorders_an_exams_questions_in_its_list(editor: Client) -> None:
    exam = make_exam("python", questions=3)
    other = make_exam("other", questions=2)
    questions = list(exam.questions.all())
    url = f"/admin/quiz/question/?exam__id__exact={exam.pk}"
    assert [row.pk for row in editor.get(url).context["cl"].result_list] == [q.pk for q in questions]
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "_save": "Save"}
    for index, (question, order) in enumerate(zip(questions, (2, 0, 1), strict=True)):
        data |= {f"form-{index}-id": str(question.pk), f"form-{index}-order": str(order)}

    response = editor.post(url, data)

    assert response.status_code == 302
    assert list(exam.questions.values_list("pk", flat=True)) == [questions[1].pk, questions[2].pk, questions[0].pk]
    assert list(other.questions.values_list("order", flat=True)) == [0, 1]


def test_an_editor_deletes_a_question_with_its_choices(editor: Client) -> None:
    exam = make_exam("python", questions=2)
    question = exam.questions.first()
    assert question is not None

    response = editor.post(f"/admin/quiz/question/{question.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert exam.questions.count() == 1
    assert not Choice.objects.filter(question_id=question.pk).exists()


def test_a_question_edited_on_its_own_page_makes_its_translations_stale_on_the_exam_page(editor: Client) -> None:
    exam = make_exam("python", questions=1)
    question = exam.questions.get()
    objects = [exam, question, *question.choices.all()]
    entries = [
        storage.Entry(registry.label(type(obj)), obj.pk, name, "번역", registry.source_hash(getattr(obj, name)))
        for obj in objects
        for name in registry.FIELDS[type(obj)]
        if getattr(obj, name)
    ]
    storage.upsert("ko", "pseudo", entries)
    assert "ko: 7 fresh, 0 stale, 0 missing" in exam_page(editor, exam)
    data = {"exam": str(exam.pk), "order": "0", "kind": "single", "text": "Changed?", "explanation": "Still."}

    editor.post(f"/admin/quiz/question/{question.pk}/change/", data | choice_rows(question, keep=4))

    assert "ko: 5 fresh, 2 stale, 0 missing" in exam_page(editor, exam)


def test_a_choice_row_whose_posted_id_is_not_a_number_is_a_form_error(editor: Client) -> None:
    exam = make_exam("python", questions=1)
    question = exam.questions.get()
    data = {"exam": str(exam.pk), "order": "0", "kind": "single", "text": "Changed?"}
    data |= choice_rows(question, keep=4) | {"choices-0-id": "not-a-number"}

    response = editor.post(f"/admin/quiz/question/{question.pk}/change/", data)

    assert response.status_code == 200
    assert response.context["errors"]
    assert Question.objects.get(pk=question.pk).text != "Changed?"


@pytest.mark.parametrize("exam", ["", "abc", "²", "9" * 40, "-1"])
def test_the_add_question_page_takes_any_exam_parameter(editor: Client, exam: str) -> None:
    response = editor.get("/admin/quiz/question/add/", {"exam": exam})

    assert response.status_code == 200
