"""Content in the reader's language: translated on view in one call, saved in the background, never over an editor."""

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_celery_results.models import TaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from accounts.models import User
from drillquiz.payloads import InvalidTaskArguments
from jobs.models import OutboxMessage
from jobs.services import enqueue
from quiz import attempts
from quiz.models import Exam, Question
from tests.factories import make_exam, make_user
from tests.processes import ROOT, free_port, process_env, wait_until
from translations import payloads, registry, storage
from translations.models import Translation
from translations.tasks import batch_save_translation_results, translate_missing_batch


def english(request: Request) -> Response:
    texts = json.loads(request.data)["q"]
    return Response(json.dumps({"translatedText": [f"EN {text}" for text in texts]}), content_type="application/json")


@pytest.fixture
def provider(settings: Settings, httpserver: HTTPServer) -> HTTPServer:
    """A LibreTranslate-compatible stand-in that 'translates' by prefixing EN."""
    httpserver.expect_request("/translate").respond_with_handler(english)
    settings.TRANSLATION_PROVIDER = "libretranslate"
    settings.TRANSLATION_API_URL = httpserver.url_for("/")
    settings.TRANSLATION_RETRY_BASE_SECONDS = 0.05
    return httpserver


def korean_exam(questions: int = 2, slug: str = "k8s") -> Exam:
    return make_exam(
        slug, questions=questions, title="쿠버네티스 기초", description="파드와 서비스", source_language="ko"
    )


def take(client: Client, user: User, exam: Exam) -> str:
    """Open an attempt and return the take page's URL."""
    client.force_login(user)
    attempt = attempts.start_attempt(user, exam)
    return f"/attempts/{attempt.pk}/"


def view_in_english(client: Client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_an_english_view_of_a_korean_exam_is_translated_stored_by_the_worker_and_then_read_from_the_database(
    client: Client, provider: HTTPServer, celery_worker: object
) -> None:
    exam = korean_exam()
    url = take(client, make_user("reader"), exam)

    page = view_in_english(client, url)

    assert "EN 쿠버네티스 기초" in page
    assert "EN Answer A" in page
    assert len(provider.log) == 1  # one batched call for the whole page
    texts = len(json.loads(provider.log[0][0].data)["q"])
    wait_until(lambda: Translation.objects.count() >= texts, 20, "the worker to store the translations")
    cache.clear()
    again = view_in_english(client, url)
    assert "EN 쿠버네티스 기초" in again
    assert len(provider.log) == 1


def test_the_next_viewer_uses_the_cache_before_the_save_lands(
    client: Client, provider: HTTPServer, learner: User
) -> None:
    url = take(client, learner, korean_exam())

    view_in_english(client, url)
    view_in_english(client, url)

    assert len(provider.log) == 1
    assert not Translation.objects.exists()  # the save runs after the response, in a worker


def test_an_english_view_renders_the_translated_markdown_with_its_code_untranslated(
    client: Client, provider: HTTPServer, learner: User
) -> None:
    exam = korean_exam(1)
    text = "`kubectl get pods`는 무엇을 보여 줍니까?\n\n```bash\nkubectl get pods -A\n```"
    Question.objects.filter(exam=exam).update(text=text)
    url = take(client, learner, exam)

    page = view_in_english(client, url)

    assert "<p>EN <code>kubectl get pods</code>는 무엇을 보여 줍니까?</p>" in page
    assert '<pre class="highlight" tabindex="0"><code>kubectl<span class="w"> </span>get' in page
    assert "kubectl" not in provider.log[0][0].get_data(as_text=True)


def test_a_page_is_still_translated_and_its_save_enqueued_while_the_cache_is_down(
    client: Client, provider: HTTPServer, learner: User, settings: Settings
) -> None:
    url = take(client, learner, korean_exam())
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }

    page = view_in_english(client, url)

    assert "EN 쿠버네티스 기초" in page
    assert OutboxMessage.objects.filter(task_name="quiz.tasks.batch_save_translation_results").count() == 1


def test_many_viewers_enqueue_the_save_once(
    client: Client,
    provider: HTTPServer,
    learner: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = take(client, learner, korean_exam())

    with django_capture_on_commit_callbacks() as enqueued:
        for _ in range(3):
            view_in_english(client, url)

    assert len(enqueued) == 1


def test_a_source_edit_makes_the_translation_stale_and_the_next_view_refreshes_it(
    client: Client, provider: HTTPServer, learner: User
) -> None:
    exam = korean_exam()
    url = take(client, learner, exam)
    view_in_english(client, url)
    storage.save_machine_translations("en", "libretranslate", page_entries(client, url))
    question = exam.questions.first()
    assert question is not None
    question.text = "서비스는 무엇인가요?"
    question.save()

    page = view_in_english(client, url)

    assert "EN 서비스는 무엇인가요?" in page
    assert json.loads(provider.log[-1][0].data)["q"] == ["서비스는 무엇인가요?"]


def page_entries(client: Client, url: str) -> list[storage.Entry]:
    """The entries the page would save, re-derived from the provider's cached answers."""
    exam = Exam.objects.get()
    entries = []
    for obj in [exam, *Question.objects.all(), *[c for q in Question.objects.all() for c in q.choices.all()]]:
        for name in registry.FIELDS[type(obj)]:
            source = getattr(obj, name)
            if source:
                key = (registry.label(type(obj)), obj.pk, name)
                entries.append(storage.Entry(*key, text=f"EN {source}", source_hash=registry.source_hash(source)))
    return entries


def test_a_provider_outage_shows_the_source_text_with_a_notice_and_saves_nothing(
    client: Client,
    settings: Settings,
    learner: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TRANSLATION_PROVIDER, settings.TRANSLATION_API_URL = "libretranslate", "http://127.0.0.1:1/"
    url = take(client, learner, korean_exam())

    with django_capture_on_commit_callbacks() as enqueued:
        page = view_in_english(client, url)

    assert "쿠버네티스 기초" in page
    assert "Machine translation is not available right now" in page
    assert enqueued == []


def test_the_pseudo_provider_is_labelled_on_the_page_in_a_banner(client: Client, learner: User) -> None:
    url = take(client, learner, korean_exam())

    page = view_in_english(client, url)

    assert "[en] 쿠버네티스 기초" in page
    assert "Some text on this page is a pseudo-translation (development only)." in page
    assert '<div class="banner banner-translation" role="status">' in page


def test_a_page_loads_its_translations_in_a_constant_number_of_queries(
    client: Client, provider: HTTPServer, learner: User
) -> None:
    counts = []
    for size in (5, 40):
        exam = korean_exam(size, slug=f"k8s-{size}")
        url = take(client, learner, exam)
        view_in_english(client, url)
        storage.save_machine_translations("en", "libretranslate", [e for e in page_entries_for(exam)])
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            view_in_english(client, url)
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


def page_entries_for(exam: Exam) -> list[storage.Entry]:
    objects = [exam, *exam.questions.all()]
    objects += [choice for question in exam.questions.all() for choice in question.choices.all()]
    return [
        storage.Entry(
            registry.label(type(obj)),
            obj.pk,
            name,
            f"EN {getattr(obj, name)}",
            registry.source_hash(getattr(obj, name)),
        )
        for obj in objects
        for name in registry.FIELDS[type(obj)]
        if getattr(obj, name)
    ]


def save(*args: object) -> int:
    """The save task run on JSON arguments, as a worker runs it; its error raised."""
    written: int = batch_save_translation_results.apply(args=args).get()
    return written


def test_a_human_translation_is_never_overwritten_by_a_machine_one(db: None) -> None:
    exam = korean_exam(1)
    source = registry.source_hash(exam.title)
    Translation.objects.create(
        model="quiz.exam",
        object_id=exam.pk,
        field="title",
        language="en",
        text="Kubernetes Basics",
        source_hash=source,
        origin="human",
        provider="editor:kim",
    )

    written = save(
        "en",
        "libretranslate",
        [{"model": "quiz.exam", "id": exam.pk, "field": "title", "text": "EN machine", "hash": source}],
    )

    assert written == 1
    assert Translation.objects.get().text == "Kubernetes Basics"


def test_saving_twice_leaves_one_row_per_field(db: None) -> None:
    exam = korean_exam(1)
    entries = payloads.entries_json(page_entries_for(exam))

    save("en", "pseudo", entries)
    save("en", "pseudo", entries)

    assert Translation.objects.count() == len(entries)


def entry(model: str = "quiz.exam", object_id: int = 0, field: str = "title") -> dict[str, str | int]:
    return {"model": model, "id": object_id, "field": field, "text": "x", "hash": "h"}


BAD_SAVES: dict[str, tuple[Callable[[int], int], str]] = {
    "unregistered model": (
        lambda pk: save("en", "x", [entry("auth.user", pk, "username")]),
        "Entries: [0]: its model and field are not a translated field (got {'model': 'auth.user'",
    ),
    "unknown field": (
        lambda pk: save("en", "x", [entry(object_id=pk, field="slug")]),
        "Entries: [0]: its model and field are not a translated field (got {'model': 'quiz.exam'",
    ),
    "missing object": (
        lambda pk: save("en", "x", [entry(object_id=999999)]),
        "no quiz.exam with id 999999",
    ),
    "unknown language": (
        lambda pk: save("fr", "x", [entry(object_id=pk)]),
        "unknown language; known: ko, en (got 'fr')",
    ),
    "not a list": (lambda pk: save("en", "x", "not a list"), "Input should be a valid list"),
}


@pytest.mark.parametrize("case", BAD_SAVES)
def test_bad_task_arguments_write_nothing_and_fail_with_a_clear_error(db: None, case: str) -> None:
    exam = korean_exam(1)
    call, problem = BAD_SAVES[case]

    with pytest.raises(InvalidTaskArguments, match=re.escape(problem)):
        call(exam.pk)

    assert not Translation.objects.exists()


def test_the_translation_tasks_refuse_what_the_table_cannot_hold(db: None) -> None:
    entry = payloads.entries_json(page_entries_for(korean_exam(1)))[0]
    model, object_id, field = entry["model"], entry["id"], entry["field"]

    refused = [
        batch_save_translation_results.apply(args=("en", "pseudo", [{**entry, "text": "a\x00b"}])),
        batch_save_translation_results.apply(args=("en", "x" * 41, [entry])),
        batch_save_translation_results.apply(args=("en", "pseudo", [{**entry, "model": [model]}])),
        batch_save_translation_results.apply(args=("en", "pseudo", [{**entry, "id": 2**63}])),
        translate_missing_batch.apply(args=("ko", "en", [[{"model": model}, object_id, field]])),
        translate_missing_batch.apply(args=("ko", "en", [[model, -1, field]])),
    ]

    assert [type(result.result).__name__ for result in refused] == ["InvalidTaskArguments"] * len(refused)
    assert not Translation.objects.exists()


def test_a_bad_save_fails_once_in_the_worker_without_retrying(celery_worker: object) -> None:
    enqueue(
        batch_save_translation_results.name,
        "en",
        "x",
        [{"model": "auth.user", "id": 1, "field": "password", "text": "x", "hash": "h"}],
    )

    failed = TaskResult.objects.filter(task_name="quiz.tasks.batch_save_translation_results", status="FAILURE")
    wait_until(failed.exists, 20, "the task to fail")
    assert "are not a translated field" in failed.get().result
    assert not Translation.objects.exists()


def test_the_backfill_translates_everything_through_the_queue_and_keeps_human_work(
    provider: HTTPServer, celery_worker: object, capsys: pytest.CaptureFixture[str]
) -> None:
    exam = korean_exam(3)
    make_exam("english-one", questions=1)  # English source: translated into Korean
    Translation.objects.create(
        model="quiz.exam",
        object_id=exam.pk,
        field="title",
        language="en",
        text="Kubernetes Basics",
        source_hash=registry.source_hash(exam.title),
        origin="human",
        provider="editor:kim",
    )

    call_command("translate_missing", "--language", "en")

    out = capsys.readouterr().out
    expected = len(page_entries_for(exam)) - 1
    assert f"{expected} texts to translate" in out
    assert f"Done: {expected} translated, 0 skipped (human), 0 failed." in out
    assert Translation.objects.get(field="title", model="quiz.exam", object_id=exam.pk).text == "Kubernetes Basics"
    assert Translation.objects.filter(language="en", origin="machine").count() == expected
    call_command("translate_missing", "--language", "en")
    assert "0 texts to translate" in capsys.readouterr().out


def test_the_backfill_dry_run_counts_and_enqueues_nothing(
    db: None, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    korean_exam(2)

    with django_capture_on_commit_callbacks() as enqueued:
        call_command("translate_missing", "--dry-run")

    assert "texts to translate" in capsys.readouterr().out
    assert enqueued == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [(["--language", "xx"], "unknown language 'xx'"), (["--exam", "999999"], "no exam with id 999999")],
)
def test_the_backfill_refuses_bad_options_with_one_line(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "translate_missing", *args],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert (
        result.stderr == f"CommandError: {message}; choose one of ko, en\n"
        if "language" in message
        else result.stderr == f"CommandError: {message}\n"
    )


def test_editors_see_completeness_and_a_corrected_translation_becomes_human(client: Client, db: None) -> None:
    exam = korean_exam(1)
    save("en", "pseudo", payloads.entries_json(page_entries_for(exam)))
    exam.description = "바뀐 설명"
    exam.save()
    client.force_login(make_user("editor", is_staff=True, is_superuser=True))

    page = client.get(f"/admin/quiz/exam/{exam.pk}/change/").content.decode()
    assert "en: 7 fresh, 1 stale, 0 missing, 0 human but stale" in page
    stale = client.get("/admin/translations/translation/?freshness=stale").context["cl"].result_list
    assert [row.field for row in stale] == ["description"]

    row = Translation.objects.get(field="title", model="quiz.exam")
    response = client.post(f"/admin/translations/translation/{row.pk}/change/", {"text": "Kubernetes Basics"})

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.text, row.origin, row.provider) == ("Kubernetes Basics", "human", "editor:editor")


def test_editors_queue_translation_of_stale_texts_from_admin(
    client: Client, db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    exam = korean_exam(1)
    save("en", "pseudo", payloads.entries_json(page_entries_for(exam)))
    exam.description = "바뀐 설명"
    exam.save()
    stale = Translation.objects.get(field="description")
    client.force_login(make_user("editor", is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks() as enqueued:
        from_list = client.post(
            "/admin/translations/translation/", {"action": "retranslate", "_selected_action": [stale.pk]}
        )
        from_exam = client.post("/admin/quiz/exam/", {"action": "translate_missing", "_selected_action": [exam.pk]})

    assert (from_list.status_code, from_exam.status_code) == (302, 302)
    assert len(enqueued) == 2
    messages = [str(message) for message in client.get("/admin/").context["messages"]]
    assert messages == ["1 texts queued for translation.", "1 texts queued for translation."]
