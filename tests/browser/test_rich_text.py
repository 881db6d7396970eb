"""Markdown with long code on a phone: code is monospace and coloured, blocks scroll inside themselves,
and no page scrolls sideways, in light and dark mode, without an accessibility violation."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from quiz import attempts
from quiz.models import Choice, Exam, Question
from tests.browser.axe import serious_violations
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_user
from tests.processes import WebServer

LONG_CALL = "send_email.s(to).set(queue='email', routing_key='email.welcome', priority=9).delay()"
BLOCK = (
    "```python\n"
    "@app.task(bind=True, acks_late=True, autoretry_for=(SMTPException,), retry_backoff=True, max_retries=5)\n"
    "def send_welcome_email(self, user_id: int) -> None:  # retried with back-off on a mail server failure\n"
    "    deliver(User.objects.get(pk=user_id))\n"
    "```"
)


@pytest.fixture
def exam(transactional_db: None) -> Exam:
    exam = Exam.objects.create(slug="celery", title="Celery", source_language="en", is_published=True)
    question = Question.objects.create(
        exam=exam,
        text=f"What does `{LONG_CALL}` do with this task?\n\n{BLOCK}",
        explanation=f"`{LONG_CALL}` enqueues it on **email**; see [the guide](/exams/).\n\n{BLOCK}",
    )
    Choice.objects.create(question=question, text=f"It runs `{LONG_CALL}` at once", is_correct=True, order=0)
    Choice.objects.create(question=question, text="It sends *nothing*", order=1)
    return exam


@pytest.fixture(params=["light", "dark"])
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A phone-sized page, in the colour scheme of the parameter."""
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, color_scheme=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits(page: Page) -> None:
    """Nothing wider than the screen, code monospace and coloured, and each code block scrolls itself."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    code = page.locator(".rich code").first
    assert "monospace" in code.evaluate("element => getComputedStyle(element).fontFamily")
    block = page.locator(".rich pre.highlight").first
    assert block.evaluate("element => getComputedStyle(element).overflowX") == "auto"
    assert block.evaluate("element => element.scrollWidth > element.clientWidth")
    keyword = block.locator("span.k").first
    assert keyword.evaluate("element => getComputedStyle(element).color") != block.evaluate(
        "element => getComputedStyle(element).color"
    )
    assert serious_violations(page) == []


def test_long_code_fits_a_phone_on_the_exam_result_and_feedback_pages(
    phone_page: Page, web_server: WebServer, exam: Exam
) -> None:
    page, base = phone_page, web_server.url
    learner: User = make_user("minji", language="en")
    scheme = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'")
    log_in(page, base, learner)

    page.goto(f"{base}/attempts/{attempts.start_attempt(learner, exam).pk}/")
    fits(page)
    screenshot(page, f"rich-text-exam-390-{scheme}")
    page.get_by_label("It runs").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Score: 1 / 1 (100%)")).to_be_visible()
    fits(page)
    expect(page.locator(".explanation strong").filter(has_text="email")).to_be_visible()
    screenshot(page, f"rich-text-result-390-{scheme}")

    page.goto(f"{base}/attempts/{attempts.start_attempt(learner, exam, mode='practice').pk}/")
    page.get_by_label("It sends nothing").check()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Not quite.")).to_be_visible()
    fits(page)
    screenshot(page, f"rich-text-feedback-390-{scheme}")
