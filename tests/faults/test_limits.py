"""Every text a stranger sends has a maximum length, checked before any work (issue #15, point 2).

A task, an exam file, a search box or a broker message over its limit is refused at once with a short
error that quotes at most a prefix of the bad value, and nothing is written.
"""

import importlib
import json
import pkgutil
import re
import time
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from celery.worker import WorkController
from django.core.management import CommandError, call_command
from django.test import Client
from django_celery_results.models import TaskResult
from kombu import Connection

from drillquiz.celery import app
from drillquiz.messages import MessageTooLarge
from drillquiz.payloads import InvalidTaskArguments
from jobs import outbox
from jobs.models import OutboxMessage
from quiz import exam_io
from quiz.models import Exam, Question
from tests.factories import make_exam
from translations import registry
from translations.models import Translation
from translations.tasks import batch_save_translation_results, translate_missing_batch

MEGABYTE = 1024 * 1024
TEN_MEGABYTES = 10 * MEGABYTE


def translation_entry(question: Question, text: str) -> dict[str, str | int]:
    return {
        "model": registry.label(Question),
        "id": question.pk,
        "field": "text",
        "text": text,
        "hash": registry.source_hash(question.text),
    }


def test_a_save_task_refuses_a_ten_megabyte_translation_before_writing(db: None) -> None:
    question = make_exam("python").questions.first()
    assert question is not None

    result = batch_save_translation_results.apply(
        args=("ko", "pseudo", [translation_entry(question, "x" * TEN_MEGABYTES)])
    )

    assert isinstance(result.result, InvalidTaskArguments)
    assert "at most 20000 characters" in str(result.result)
    assert len(str(result.result)) < 500
    assert not Translation.objects.exists()


def test_a_translation_at_the_limit_is_saved(db: None) -> None:
    question = make_exam("python").questions.first()
    assert question is not None
    limit = Translation._meta.get_field("text").max_length
    assert limit is not None

    result = batch_save_translation_results.apply(args=("ko", "pseudo", [translation_entry(question, "x" * limit)]))

    assert result.result == 1
    assert len(Translation.objects.get().text) == limit


@pytest.mark.parametrize("task", [batch_save_translation_results, translate_missing_batch])
def test_a_ten_megabyte_language_code_is_quoted_as_a_short_prefix(db: None, task: object) -> None:
    language = "k" * TEN_MEGABYTES
    args: tuple[str, str, list[object]] = (
        ("ko", language, []) if task is translate_missing_batch else (language, "pseudo", [])
    )

    result = task.apply(args=args)  # type: ignore[attr-defined]

    assert isinstance(result.result, InvalidTaskArguments)
    assert len(str(result.result)) < 200


def test_a_job_whose_arguments_no_worker_would_take_is_refused_before_its_row(db: None) -> None:
    with pytest.raises(MessageTooLarge, match="over the limit of 1048576 bytes"):
        outbox.record("jobs.tasks.ping", ["x" * MEGABYTE])

    assert not OutboxMessage.objects.exists()


def forge_message(task_name: str, args: tuple[object, ...], task_id: str) -> None:
    """Publish a task message by hand, past our serializer's check, as an attacker with the broker would."""
    headers, properties, body, _sent_event = app.amqp.as_task_v2(task_id, task_name, args=args)
    with Connection(app.conf.broker_url) as connection, connection.Producer() as producer:
        producer.publish(
            json.dumps(body),
            routing_key="default",
            exchange="default",
            headers=headers,
            content_type="application/json",
            content_encoding="utf-8",
            **properties,
        )


def wait_for_result(task_id: str, timeout: float = 30) -> TaskResult:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = TaskResult.objects.filter(task_id=task_id, status="SUCCESS").first()
        if result is not None:
            return result
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not succeed within {timeout} s")


def test_a_worker_refuses_a_message_over_the_limit_before_any_task_body(
    celery_worker: WorkController, caplog: pytest.LogCaptureFixture
) -> None:
    refused, after = str(uuid.uuid4()), str(uuid.uuid4())

    forge_message("jobs.tasks.ping", ("x" * (2 * MEGABYTE),), refused)
    forge_message("jobs.tasks.ping", ("next",), after)

    # The worker goes on to the next job; the large one never ran and left no result.
    assert json.loads(wait_for_result(after).result)["note"] == "next"
    assert not TaskResult.objects.filter(task_id=refused).exists()
    assert "over the limit of 1048576 bytes" in caplog.text


def test_a_task_name_of_sixty_thousand_letters_does_not_hold_the_worker(celery_worker: WorkController) -> None:
    after = str(uuid.uuid4())
    started = time.monotonic()

    forge_message("a" * 60_000, (), str(uuid.uuid4()))
    forge_message("jobs.tasks.ping", ("next",), after)
    wait_for_result(after)

    # Before the linear redaction, logging the unknown task's name held the worker 74-77 s.
    assert time.monotonic() - started < 15


def exam_file(**changes: object) -> dict[str, Any]:
    question = {
        "kind": "single",
        "text": "Q?",
        "choices": [{"text": "A", "correct": True}, {"text": "B", "correct": False}],
    }
    return {
        "format": exam_io.FORMAT,
        "slug": "ok",
        "title": "T",
        "source_language": "en",
        "questions": [question],
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"questions": [exam_file()["questions"][0]] * 501}, "questions: must be a list of 1 to 500 questions"),
        ({"tags": [f"tag-{number}" for number in range(21)]}, "tags: at most 20"),
        ({"description": "d" * 10_001}, "description: at most 10000 characters, got 10001"),
        ({"format": "f" * MEGABYTE}, "format: must be"),
    ],
)
def test_an_exam_file_over_a_limit_is_refused_with_the_place(
    db: None, changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(exam_io.ExamFileError) as refused:
        exam_io.import_exam(exam_io.parse(json.dumps(exam_file(**changes))))

    assert any(error.startswith(problem) for error in refused.value.errors), refused.value.errors
    assert len(str(refused.value)) < 500
    assert not Exam.objects.exists()


def test_a_long_question_text_in_an_exam_file_is_refused(db: None) -> None:
    question = {**exam_file()["questions"][0], "text": "q" * 10_001, "explanation": "e" * 10_001}

    with pytest.raises(exam_io.ExamFileError) as refused:
        exam_io.import_exam(exam_io.parse(json.dumps(exam_file(questions=[question]))))

    assert refused.value.errors == [
        "questions[0].text: at most 10000 characters, got 10001",
        "questions[0].explanation: at most 10000 characters, got 10001",
    ]


def test_an_exam_file_of_thousands_of_problems_lists_twenty_and_counts_the_rest(db: None) -> None:
    questions = [{"kind": "no such kind", "text": "", "choices": []}] * 500

    with pytest.raises(exam_io.ExamFileError) as refused:
        exam_io.import_exam(exam_io.parse(json.dumps(exam_file(questions=questions))))

    assert str(refused.value).endswith("; and 1480 more")


def test_importing_an_exam_file_over_the_size_limit_is_refused_unread(db: None, tmp_path: Path) -> None:
    large = tmp_path / "large.json"
    large.write_bytes(b" " * (2 * MEGABYTE + 1))

    with pytest.raises(CommandError, match=r"larger than 2097152 bytes"):
        call_command("import_exam", str(large), stdout=StringIO())


def test_a_search_over_its_maximum_length_is_a_clear_400(client: Client, db: None) -> None:
    make_exam("python")

    started = time.monotonic()
    response = client.get("/exams/", {"q": "python" * (MEGABYTE // 6)})

    assert response.status_code == 400
    assert "Search for at most 100 characters." in response.content.decode()
    assert list(response.context["page"]) == []
    assert time.monotonic() - started < 5


def test_a_search_at_its_maximum_length_searches(client: Client, db: None) -> None:
    make_exam("python")

    response = client.get("/exams/", {"q": "x" * 100})

    assert response.status_code == 200


# --- Every pattern of ours, given a megabyte of its worst case (issue #15, point 1) -----------------

# The input each one sees and the 1 MB that comes nearest to matching it everywhere.
WORST_PATTERN_INPUTS = {
    # Log lines: a long run of what a URL password may hold.
    "drillquiz.log.USER_END": "a" * MEGABYTE,
    "drillquiz.log.PASSWORD_END": "a" * MEGABYTE,
    # Setting names and values in error pages and worker reports: a near miss of every name, over and over.
    "drillquiz.reporting.SECRET_NAMES": "PAS_TOKE_SECRE_" * (MEGABYTE // 15),
    # An exam file's slug and tags: one character too many, a million times over.
    "quiz.exam_io.SLUG": "a" * MEGABYTE,
    "quiz.exam_io.TAG": "a" * MEGABYTE,
    "translations.code_markers.NEWLINE": "\r" * MEGABYTE,
}


def compiled_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern at the top level of a module of our apps and project package."""
    found = {}
    for package_name in ("accounts", "backup", "drillquiz", "jobs", "notifications", "quiz", "translations"):
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations." in module_info.name or module_info.name.endswith((".asgi", ".wsgi")):
                continue
            module = importlib.import_module(module_info.name)
            for name, value in vars(module).items():
                if isinstance(value, re.Pattern) and getattr(module, "__name__", "") == module_info.name:
                    found[f"{module_info.name}.{name}"] = value
    return found


def test_every_pattern_of_ours_has_a_worst_case() -> None:
    assert set(compiled_patterns()) == set(WORST_PATTERN_INPUTS)


@pytest.mark.parametrize("name", sorted(WORST_PATTERN_INPUTS))
def test_a_pattern_takes_linear_time_on_a_megabyte_of_its_worst_case(name: str) -> None:
    pattern, text = compiled_patterns()[name], WORST_PATTERN_INPUTS[name]

    started = time.perf_counter()
    pattern.search(text)
    pattern.fullmatch(text)
    pattern.search(text, len(text) // 2)

    assert time.perf_counter() - started < 5  # a generous guard against a quadratic
