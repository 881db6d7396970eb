"""The exam and result pages keep their rendered questions in the cache (quiz.page_blocks): a page
served from it still shows the learner's own answers, flags, choice order, CSRF token and translation
notice, and an edit in Admin shows on the next view."""

import re
from datetime import timedelta

from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from accounts.models import User
from quiz import attempts, page_blocks
from quiz.models import Attempt, Exam
from tests.factories import make_exam, make_user, right_answers
from tests.quiz.test_question_admin import choice_rows
from translations import registry, storage
from translations.models import Translation


def page(client: Client, url: str, language: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def kept(name: str, attempt: Attempt, language: str = "en") -> bool:
    """Whether the page's blocks, as they stand now, are in the cache."""
    attempt = Attempt.objects.select_related("exam").get(pk=attempt.pk)
    return cache.get(page_blocks.key(name, attempt, attempts.answer_states(attempt), language)) is not None


def choice_order(html: str) -> list[str]:
    return re.findall(r'name="q\d+" value="(\d+)"', html)


def finished(user: User, exam: Exam) -> Attempt:
    attempt = attempts.start_attempt(user, exam)
    selections = {int(name[1:]): set(ids) for name, ids in right_answers(exam).items()}
    attempts.submit_exam(attempt, attempts.questions_of(attempt), selections, flagged=set())
    return attempt


def test_a_second_view_comes_from_the_cache_and_shows_the_same_page(client: Client, learner: User) -> None:
    exam = make_exam("python", questions=3)
    attempt = attempts.start_attempt(learner, exam)
    client.force_login(learner)

    first = page(client, f"/attempts/{attempt.pk}/")
    assert kept("exam", attempt)
    second = page(client, f"/attempts/{attempt.pk}/")

    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", first) == token.sub("", second)
    assert token.search(second)


def test_each_learner_sees_their_own_choice_order_answers_and_flags_from_the_cache(
    client: Client, learner: User, other_learner: User
) -> None:
    exam = make_exam("python", questions=3)
    mine, theirs = attempts.start_attempt(learner, exam), attempts.start_attempt(other_learner, exam)
    question = attempts.questions_of(mine)[0]
    other = Client()
    client.force_login(learner)
    other.force_login(other_learner)
    page(client, f"/attempts/{mine.pk}/")
    page(other, f"/attempts/{theirs.pk}/")

    right = next(choice for choice in question.choices.all() if choice.is_correct)
    attempts.save_answer(mine, question, {right.pk})
    attempts.set_flag(mine, question.pk, True)
    html = page(client, f"/attempts/{mine.pk}/")

    assert f'name="q{question.pk}" value="{right.pk}" checked' in html
    assert f'name="flagged" value="{question.pk}" checked' in html
    assert "1 of 3 answered" in html
    assert choice_order(html) == [str(c.pk) for q in attempts.questions_of(mine) for c in q.choices.all()]
    theirs_html = page(other, f"/attempts/{theirs.pk}/")
    assert " checked" not in theirs_html
    assert choice_order(theirs_html) == [str(c.pk) for q in attempts.questions_of(theirs) for c in q.choices.all()]


def test_the_timer_is_drawn_for_each_request(client: Client, learner: User) -> None:
    exam = make_exam("timed", questions=2, time_limit_minutes=30)
    attempt = attempts.start_attempt(learner, exam)
    client.force_login(learner)
    page(client, f"/attempts/{attempt.pk}/")
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(minutes=5))

    html = page(client, f"/attempts/{attempt.pk}/")

    seconds = int(re.search(r'data-seconds-left="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert 0 < seconds <= 5 * 60


def test_an_edit_of_a_question_and_a_choice_in_admin_shows_on_the_next_take_and_result_page(
    client: Client, learner: User
) -> None:
    exam = make_exam("python", questions=1)
    question = exam.questions.get()
    take, result = attempts.start_attempt(learner, exam), finished(learner, exam)
    client.force_login(learner)
    for url in (f"/attempts/{take.pk}/", f"/attempts/{result.pk}/result/"):
        assert "Answer A" in page(client, url)
    assert kept("exam", take) and kept("result", result)
    editor = Client()
    editor.force_login(make_user("editor", is_staff=True, is_superuser=True))

    data = {"exam": str(exam.pk), "order": "0", "kind": "single", "text": "Renamed?", "explanation": ""}
    data |= choice_rows(question, keep=4) | {"choices-0-text": "Answer A, reworded"}
    assert editor.post(f"/admin/quiz/question/{question.pk}/change/", data).status_code == 302

    for url in (f"/attempts/{take.pk}/", f"/attempts/{result.pk}/result/"):
        html = page(client, url)
        assert "Renamed?" in html
        assert "Answer A, reworded" in html


def test_an_edit_of_a_translation_in_admin_shows_on_the_next_page(client: Client, learner: User) -> None:
    exam = make_exam("k8s", questions=1, title="쿠버네티스 기초", source_language="ko")
    objects = [exam, *exam.questions.all(), *exam.questions.get().choices.all()]
    storage.save_human_translations(
        "editor:someone",
        [
            ("en", storage.Entry(registry.label(type(obj)), obj.pk, name, f"EN {getattr(obj, name)}", ""))
            for obj in objects
            for name in registry.FIELDS[type(obj)]
            if getattr(obj, name)
        ],
    )
    attempt = attempts.start_attempt(learner, exam)
    client.force_login(learner)
    assert "EN Answer A" in page(client, f"/attempts/{attempt.pk}/")
    assert kept("exam", attempt)
    editor = Client()
    editor.force_login(make_user("editor", is_staff=True, is_superuser=True))
    choice = exam.questions.get().choices.first()
    row = Translation.objects.get(model="quiz.choice", object_id=choice.pk, language="en")  # type: ignore[union-attr]

    corrected = editor.post(f"/admin/translations/translation/{row.pk}/change/", {"text": "EN Answer A, corrected"})
    assert corrected.status_code == 302

    assert "EN Answer A, corrected" in page(client, f"/attempts/{attempt.pk}/")


def test_a_page_with_a_translation_notice_is_not_kept(client: Client, settings: Settings, learner: User) -> None:
    settings.TRANSLATION_PROVIDER, settings.TRANSLATION_API_URL = "libretranslate", "http://127.0.0.1:1/"
    exam = make_exam("k8s", questions=1, title="쿠버네티스 기초", source_language="ko")
    attempt = attempts.start_attempt(learner, exam)
    client.force_login(learner)

    html = page(client, f"/attempts/{attempt.pk}/")

    assert "Machine translation is not available right now" in html
    assert not kept("exam", attempt)


def test_a_page_whose_translations_are_still_to_be_saved_is_not_kept(client: Client, learner: User) -> None:
    exam = make_exam("k8s", questions=1, title="쿠버네티스 기초", source_language="ko")
    attempt = attempts.start_attempt(learner, exam)
    client.force_login(learner)

    html = page(client, f"/attempts/{attempt.pk}/")  # the pseudo provider: translated now, saved by a worker

    assert "[en] 쿠버네티스 기초" in html
    assert not kept("exam", attempt)


def test_the_cache_can_be_turned_off(client: Client, settings: Settings, learner: User) -> None:
    settings.PAGE_BLOCKS_CACHE_SECONDS = 0
    attempt = attempts.start_attempt(learner, make_exam("python", questions=2))
    client.force_login(learner)

    assert "Answer A" in page(client, f"/attempts/{attempt.pk}/")
    assert not kept("exam", attempt)
