"""Editors import and export exams as JSON files: in Admin and with commands; bad files write nothing."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from quiz import exam_io
from quiz.models import Choice, Exam, Question
from tests.factories import make_exam, make_user
from tests.processes import ROOT, process_env
from translations import registry
from translations.models import Translation

VALID: dict[str, Any] = {
    "format": "drillquiz-exam/1",
    "slug": "celery-101",
    "title": "Celery 101",
    "description": "Brokers and workers.",
    "source_language": "en",
    "published": True,
    "tags": ["celery"],
    "questions": [
        {
            "kind": "single",
            "text": "Which setting delays the acknowledgement until a task finishes?",
            "explanation": "acks_late acknowledges after the task returns.",
            "choices": [{"text": "task_acks_late", "correct": True}, {"text": "task_eager", "correct": False}],
        },
        {
            "kind": "multiple",
            "text": "Which are Celery brokers?",
            "choices": [
                {"text": "Redis", "correct": True},
                {"text": "RabbitMQ", "correct": True},
                {"text": "SMTP", "correct": False},
            ],
        },
    ],
}


def with_question(index: int, **change: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(VALID))
    data["questions"][index].update(change)
    return data


@pytest.fixture
def editor(db: None) -> User:
    return make_user("editor", is_staff=True, is_superuser=True)


def test_an_exported_exam_imports_back_the_same(db: None) -> None:
    original = make_exam("roundtrip", questions=4)
    data = exam_io.export_exam(original)
    data["slug"] = "roundtrip-copy"

    copy = exam_io.import_exam(data)

    assert exam_io.export_exam(copy) == {**data, "slug": "roundtrip-copy"}
    assert copy.questions.count() == 4


def translated() -> dict[str, Any]:
    """VALID with a Korean translation of its title, first question and first choice."""
    data: dict[str, Any] = json.loads(json.dumps(VALID))
    data["translations"] = {"ko": {"title": "Celery 입문", "description": "브로커와 워커."}}
    data["questions"][0]["translations"] = {"ko": {"text": "태스크가 끝날 때까지 ack를 미루는 설정은?"}}
    data["questions"][0]["choices"][0]["translations"] = {"ko": {"text": "`task_acks_late`"}}
    return data


def test_translations_in_a_file_are_stored_as_human_ones_and_exported_back(db: None) -> None:
    exam = exam_io.import_exam(translated())

    rows = Translation.objects.filter(language="ko")
    assert rows.count() == 4
    assert set(rows.values_list("origin", "provider")) == {(Translation.Origin.HUMAN, exam_io.FILE_PROVIDER)}
    title = rows.get(model="quiz.exam", field="title")
    assert (title.object_id, title.text, title.source_hash) == (
        exam.pk,
        "Celery 입문",
        registry.source_hash("Celery 101"),
    )
    exported, given = exam_io.export_exam(exam), translated()
    assert exported["translations"] == given["translations"]
    assert exported["questions"][0]["translations"] == given["questions"][0]["translations"]
    assert exported["questions"][0]["choices"][0]["translations"] == {"ko": {"text": "`task_acks_late`"}}
    assert "translations" not in exported["questions"][1]


def test_an_export_leaves_out_machine_translations_and_those_whose_source_changed(db: None) -> None:
    exam = exam_io.import_exam(translated())
    Translation.objects.filter(field="description").update(origin=Translation.Origin.MACHINE)
    Question.objects.filter(exam=exam, order=0).update(text="Which setting acknowledges late?")

    exported = exam_io.export_exam(exam)

    assert exported["translations"] == {"ko": {"title": "Celery 입문"}}
    assert "translations" not in exported["questions"][0]
    assert exported["questions"][0]["choices"][0]["translations"] == {"ko": {"text": "`task_acks_late`"}}


def with_translations(where: str, value: Any) -> dict[str, Any]:
    data = translated()
    place = {"exam": data, "question": data["questions"][1], "choice": data["questions"][0]["choices"][1]}[where]
    place["translations"] = value
    return data


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (with_translations("exam", ["Celery 입문"]), "translations: must be an object of languages"),
        (
            with_translations("exam", {"en": {"title": "Celery 101"}}),
            "translations: translations are into ko, not 'en'",
        ),
        (with_translations("exam", {"fr": {"title": "Céleri"}}), "translations: translations are into ko, not 'fr'"),
        (with_translations("exam", {"ko": "Celery 입문"}), "translations.ko: must be an object of texts by field"),
        (with_translations("exam", {"ko": {"slug": "x"}}), "translations.ko: 'slug' is not a translated field"),
        (with_translations("exam", {"ko": {"title": ""}}), "translations.ko.title: must not be empty"),
        (
            with_translations("question", {"ko": {"explanation": "설명"}}),
            "questions[1].translations.ko.explanation: there is no",
        ),
        (with_translations("question", {"ko": {"text": 7}}), "questions[1].translations.ko.text: must be a string"),
        (
            with_translations("choice", {"ko": {"text": "x" * 20_001}}),
            "questions[0].choices[1].translations.ko.text: at most",
        ),
        (
            with_translations("choice", {"ko": {"text": "a\x00b"}}),
            "questions[0].choices[1].translations.ko.text: must not contain NUL",
        ),
    ],
)
def test_a_file_with_bad_translations_names_the_place_and_writes_nothing(db: None, data: Any, error: str) -> None:
    with pytest.raises(exam_io.ExamFileError) as raised:
        exam_io.import_exam(data)

    assert any(problem.startswith(error) for problem in raised.value.errors), raised.value.errors
    assert not Exam.objects.exists()
    assert not Translation.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "the file must hold one JSON object"),
        ({**VALID, "format": "v2"}, "format: must be 'drillquiz-exam/1', got 'v2'"),
        ({k: v for k, v in VALID.items() if k != "title"}, "title: must be a string"),
        ({**VALID, "source_language": "fr"}, "source_language: one of ko, en, got 'fr'"),
        ({**VALID, "questions": []}, "questions: must be a list of 1 to 500 questions"),
        ({**VALID, "published": "yes"}, "published: must be true or false"),
        (with_question(0, kind="essay"), "questions[0].kind: must be 'single' or 'multiple', got 'essay'"),
        (with_question(1, text=7), "questions[1].text: must be a string"),
        (
            with_question(0, choices=[{"text": "only one", "correct": True}]),
            "questions[0].choices: must be a list of 2",
        ),
        (
            with_question(0, choices=[{"text": "a", "correct": True}, {"text": "b", "correct": True}]),
            "questions[0].choices: a single-choice question needs exactly one correct choice, got 2",
        ),
        (
            with_question(1, choices=[{"text": "a", "correct": "yes"}, {"text": "b"}]),
            "questions[1].choices[0].correct: must be true or false",
        ),
        # What PostgreSQL cannot store, or a pattern's $ would let through before a newline.
        ({**VALID, "title": "a\x00b"}, "title: must not contain NUL"),
        ({**VALID, "description": "\ud800"}, "description: must not contain NUL characters or unpaired surrogates"),
        ({**VALID, "slug": "x" * 80 + "\n"}, "slug: 1 to 80"),
        ({**VALID, "slug": "ok\n"}, "slug: 1 to 80"),
        ({**VALID, "tags": ["python\n"]}, "tags: a list of tag slugs"),
    ],
)
def test_a_bad_file_names_each_problem_and_writes_nothing(db: None, data: Any, error: str) -> None:
    with pytest.raises(exam_io.ExamFileError) as raised:
        exam_io.import_exam(data)

    assert any(problem.startswith(error) for problem in raised.value.errors), raised.value.errors
    assert not Exam.objects.exists()
    assert not Question.objects.exists()


def test_an_existing_slug_is_refused(db: None) -> None:
    make_exam("celery-101", questions=1)

    with pytest.raises(exam_io.ExamFileError, match="slug: an exam 'celery-101' already exists"):
        exam_io.import_exam(VALID)


def test_the_import_command_imports_a_file(db: None, tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(VALID))

    call_command("import_exam", str(path))

    exam = Exam.objects.get(slug="celery-101")
    assert exam.questions.count() == 2
    assert Choice.objects.filter(question__exam=exam, is_correct=True).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid UTF-8 JSON"),
        (json.dumps(with_question(0, kind="essay")).encode(), "questions[0].kind: must be 'single' or 'multiple'"),
        (
            json.dumps(with_translations("question", {"ko": {"explanation": "설명"}})).encode(),
            "questions[1].translations.ko.explanation: there is no explanation to translate",
        ),
    ],
)
def test_the_import_command_fails_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "exam.json"
    path.write_bytes(content)

    result = subprocess.run(
        [sys.executable, "manage.py", "import_exam", str(path)],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("CommandError: ")
    assert message in result.stderr
    assert not Exam.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_export_command_prints_the_file_and_refuses_unknown_exams() -> None:
    exam = make_exam("export-me", questions=2)

    def export(arg: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "manage.py", "export_exam", arg]
        return subprocess.run(args, cwd=ROOT, env=process_env(), capture_output=True, text=True)

    by_id = export(str(exam.pk))
    unknown = export("no-such-exam")

    assert json.loads(by_id.stdout)["slug"] == "export-me"
    assert json.loads(export("export-me").stdout) == json.loads(by_id.stdout)
    assert unknown.returncode == 1
    assert unknown.stderr == "CommandError: no exam with id or slug 'no-such-exam'\n"


def test_export_exam_of_a_number_that_is_no_id_says_so(db: None) -> None:
    for garbage_id in ["²", "9" * 5000, "\udcff"]:  # the last: a byte that is not UTF-8, as Python reads argv
        with pytest.raises(CommandError, match="no exam with id or slug"):
            call_command("export_exam", garbage_id)


def test_an_editor_imports_an_exam_in_admin(client: Client, editor: User) -> None:
    client.force_login(editor)
    upload = SimpleUploadedFile("exam.json", json.dumps(VALID).encode(), content_type="application/json")

    response = client.post("/admin/quiz/exam/import/", {"file": upload})

    exam = Exam.objects.get(slug="celery-101")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/quiz/exam/{exam.pk}/change/"


def test_admin_import_lists_every_problem_and_writes_nothing(client: Client, editor: User) -> None:
    client.force_login(editor)
    bad = with_question(0, kind="essay")
    bad["questions"][1]["choices"] = []
    upload = SimpleUploadedFile("exam.json", json.dumps(bad).encode())

    response = client.post("/admin/quiz/exam/import/", {"file": upload})

    page = response.content.decode()
    assert response.status_code == 400
    assert "questions[0].kind: must be &#x27;single&#x27; or &#x27;multiple&#x27;" in page
    assert "questions[1].choices: must be a list of 2 to 10 choices" in page
    assert not Exam.objects.exists()


def test_admin_import_is_for_editors_only(client: Client, learner: User) -> None:
    client.force_login(learner)

    response = client.get("/admin/quiz/exam/import/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_editor_exports_and_publishes_exams_in_admin(client: Client, editor: User) -> None:
    draft = make_exam("draft", published=False)
    client.force_login(editor)

    exported = client.post("/admin/quiz/exam/", {"action": "export_json", "_selected_action": [draft.pk]})
    client.post("/admin/quiz/exam/", {"action": "publish", "_selected_action": [draft.pk]})

    assert exported["Content-Disposition"] == 'attachment; filename="draft.json"'
    assert json.loads(exported.content)["slug"] == "draft"
    draft.refresh_from_db()
    assert draft.is_published


def test_the_exam_editor_links_its_questions_and_each_shows_its_choices_inline(client: Client, editor: User) -> None:
    exam = make_exam("inline", questions=2)
    client.force_login(editor)
    second = exam.questions.get(text="Question 2 of inline?")

    page = client.get(f"/admin/quiz/exam/{exam.pk}/change/").content.decode()
    question_page = client.get(f"/admin/quiz/question/{second.pk}/change/").content.decode()

    assert f"/admin/quiz/question/{second.pk}/change/" in page
    assert question_page.count('value="Answer C"') == 1
