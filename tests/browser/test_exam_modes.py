"""Practice and exam mode in a real browser, as a learner takes them.

Practice by keyboard alone (Tab, the number keys, Enter, Space): one question at a time with its
feedback, a flag, a stop and a resume, the result and a retake of the miss. An exam with a one-minute
limit: the countdown, answers and a flag saved as they change, an incomplete submit that links to the
questions left, and the time running out on the countdown; and an answer sent after the time and its
grace, which the server refuses. Every page is checked with axe-core, and at 390 px it must not
scroll sideways.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from quiz import attempts
from quiz.models import Answer, Attempt, ReviewItem
from tests.browser.axe import serious_violations
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_exam, make_user
from tests.processes import WebServer

PHONE_WIDTH = 390


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("node => node === document.activeElement"))


def tab_to(page: Page, target: Locator, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the target has the focus, as a keyboard user would."""
    for _ in range(limit):
        if is_focused(target):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def press_key_of(page: Page, label: str) -> None:
    """Press the number key that picks the choice labelled `label` (its place in this attempt's
    shuffled order), once the page's deferred scripts listen for it, and see it picked."""
    page.wait_for_load_state("domcontentloaded")  # keys.js is deferred: it runs just before this
    labels = [text.strip() for text in page.locator(".choice-list label").all_inner_texts()]
    page.keyboard.press(str(labels.index(label) + 1))
    expect(page.get_by_label(label)).to_be_checked()


def fits_a_phone(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_practice_by_keyboard_alone_with_feedback_a_flag_a_resume_and_a_retake(
    page: Page, web_server: WebServer
) -> None:
    exam = make_exam("python", questions=3, title="Python drills")
    learner = make_user("minji", language="en")
    base = web_server.url
    log_in(page, base, learner)

    page.goto(f"{base}/exams/{exam.slug}/")
    assert serious_violations(page) == []
    tab_to(page, page.get_by_role("button", name="Start practice"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Question 1 of 3 · 0 answered")).to_be_visible()
    expect(page.get_by_text("Question 1 of python?")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "practice-question")
    press_key_of(page, "Answer B")  # wrong: A is right
    expect(page.get_by_label("Answer B")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Not quite.")).to_be_visible()
    expect(page.get_by_text("Because of reason 1.")).to_be_visible()
    expect(page.get_by_text("Question 1 of 3 · 1 answered")).to_be_visible()
    next_question = page.get_by_role("link", name="Next question")
    expect(next_question).to_be_focused()
    assert serious_violations(page) == []
    flag = page.get_by_role("button", name="Flag this question")
    tab_to(page, flag, backwards=True)
    page.keyboard.press("Enter")
    expect(flag).to_have_attribute("aria-pressed", "true")
    screenshot(page, "practice-feedback")
    tab_to(page, next_question)
    page.keyboard.press("Enter")

    expect(page.get_by_text("Question 2 of python?")).to_be_visible()
    press_key_of(page, "Answer A")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Right!")).to_be_visible()
    expect(next_question).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Question 3 of python?")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Stop for now"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("2 of 3 answered")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Resume practice"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Question 3 of 3 · 2 answered")).to_be_visible()
    press_key_of(page, "Answer A")
    press_key_of(page, "Answer B")
    expect(page.get_by_label("Answer A")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Right!")).to_be_visible()
    expect(page.get_by_role("link", name="See your result")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Score: 2 / 3 (67%)")).to_be_visible()
    expect(page.get_by_role("link", name="1 wrong, flagged")).to_have_attribute("href", "#question-1")
    expect(page.get_by_role("link", name="2 right")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "practice-result")
    assert list(ReviewItem.objects.filter(user=learner).values_list("question__order", flat=True)) == [0]
    tab_to(page, page.get_by_role("button", name="Retake the wrong ones"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Question 1 of 1 · 0 answered")).to_be_visible()
    expect(page.get_by_text("Question 1 of python?")).to_be_visible()


def answer_first_choice_by_keyboard(page: Page, number: int) -> str:
    """Tab into question `number`'s choices and pick the first one with Space; returns its label."""
    first = page.locator(f"#question-{number} .choice-list input").first
    tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    return page.locator(f"#question-{number} .choice-list label").first.inner_text().strip()


def test_an_exam_with_a_minute_runs_out_on_the_countdown_and_is_scored_as_it_stood(
    page: Page, web_server: WebServer
) -> None:
    exam = make_exam("timed", questions=3, title="Timed drills", time_limit_minutes=1)
    learner = make_user("minji", language="en")
    base = web_server.url
    log_in(page, base, learner)

    page.goto(f"{base}/exams/{exam.slug}/")
    expect(page.get_by_text("Time limit: 1 minute.")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Start the exam"))
    page.keyboard.press("Enter")

    countdown = page.get_by_role("timer")
    expect(countdown).to_have_text(re.compile(r"^(1:00|0:5\d)$"))
    attempt = Attempt.objects.get(user=learner)
    label = answer_first_choice_by_keyboard(page, 1)
    expect(page.locator("#question-1 .save-status")).to_have_text("Saved.")
    expect(page.get_by_role("link", name="1 answered")).to_have_class("answered")
    flag = page.locator("#question-2").get_by_label("Flag this question")
    tab_to(page, flag)
    page.keyboard.press("Space")
    expect(page.get_by_role("link", name="2 not answered, flagged")).to_be_visible()
    expect(page.locator("#question-2 .save-status")).to_have_text("Saved.")
    assert Answer.objects.get(attempt=attempt, question__order=1).flagged
    expect(page.get_by_text("1 of 3 answered")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "exam-countdown")

    page.get_by_role("button", name="Submit answers").press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Answer every question before you submit: 2 are left.")
    left = alert.get_by_role("link", name="Question 3")
    expect(left).to_have_attribute("href", "#question-3")
    assert serious_violations(page) == []
    tab_to(page, left)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/attempts/{attempt.pk}/#question-3")

    # Instead of waiting the minute out: the deadline three seconds from now, and the page opened again.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.goto(f"{base}/attempts/{attempt.pk}/")
    expect(countdown).to_have_text(re.compile(r"^0:0[0-3]$"))
    screenshot(page, "exam-last-seconds")
    expect(page).to_have_url(f"{base}/attempts/{attempt.pk}/result/", timeout=15_000)

    expect(page.get_by_text("The time limit ended this attempt.")).to_be_visible()
    right = 1 if label == "Answer A" else 0
    expect(page.get_by_text(f"Score: {right} / 3")).to_be_visible()
    expect(page.get_by_role("link", name="3 not answered")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "exam-result")
    attempt.refresh_from_db()
    assert attempt.finished is not None and attempt.finished >= attempt.deadline  # type: ignore[operator]
    assert (attempt.correct_count, attempt.question_count) == (right, 3)


def test_an_answer_after_the_time_and_its_grace_is_refused_by_the_server(page: Page, web_server: WebServer) -> None:
    exam = make_exam("timed", questions=3, title="Timed drills", time_limit_minutes=1)
    learner = make_user("minji", language="en")
    base = web_server.url
    log_in(page, base, learner)
    page.goto(f"{base}/exams/{exam.slug}/")
    tab_to(page, page.get_by_role("button", name="Start the exam"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(1:00|0:5\d)$"))
    attempt = Attempt.objects.get(user=learner)
    answer_first_choice_by_keyboard(page, 1)
    expect(page.locator("#question-1 .save-status")).to_have_text("Saved.")

    # The learner looks away for longer than the minute and its grace (the laptop slept, say).
    late = timezone.now() - attempts.GRACE - timedelta(seconds=1)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=late)
    answer_first_choice_by_keyboard(page, 2)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The time limit is over, so this answer was not saved.")
    expect(page.locator("#question-3 .choice-list input").first).to_be_disabled()
    assert serious_violations(page) == []
    screenshot(page, "exam-refused")
    attempt.refresh_from_db()
    assert attempt.finished is not None
    assert list(
        Answer.objects.filter(attempt=attempt).order_by("question__order").values_list("answered_at", flat=True)
    )[1:] == [None, None]
    result = alert.get_by_role("link", name="See your result")
    tab_to(page, result)
    page.keyboard.press("Enter")
    expect(page.get_by_text("The time limit ended this attempt.")).to_be_visible()
    expect(page.get_by_role("link", name="2 not answered")).to_be_visible()


def test_the_exam_pages_fit_a_phone_screen(browser: Browser, web_server: WebServer) -> None:
    exam = make_exam(
        "timed", questions=12, title="Timed drills with a rather long title that wraps", time_limit_minutes=30
    )
    learner = make_user("minji", language="en")
    practice = attempts.start_attempt(learner, exam, Attempt.Mode.PRACTICE)
    first = attempts.questions_of(practice).first()
    assert first is not None
    attempts.save_answer(practice, first, {first.choices.all()[0].pk})
    graded = attempts.start_attempt(learner, exam, Attempt.Mode.EXAM)
    finished = attempts.finish_attempt(attempts.start_attempt(learner, exam, Attempt.Mode.EXAM))
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844}, is_mobile=True, locale="en-US")
    page = context.new_page()
    try:
        log_in(page, web_server.url, learner)
        for path, name in [
            (f"/exams/{exam.slug}/", "phone-exam-detail"),
            (f"/attempts/{practice.pk}/", "phone-practice-question"),
            (f"/attempts/{practice.pk}/?question=1", "phone-practice-feedback"),
            (f"/attempts/{graded.pk}/", "phone-exam"),
            (f"/attempts/{finished.pk}/result/", "phone-result"),
        ]:
            response = page.goto(f"{web_server.url}{path}")
            assert response is not None and response.status == 200, path
            fits_a_phone(page)
            screenshot(page, name)
    finally:
        context.close()
