"""The review flow in a real browser, keyboard only: answer, see the verdict on the same card, rate it."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from quiz.models import CardState, Rating, ReviewItem, ReviewLog
from tests.browser.axe import serious_violations
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_exam, make_user
from tests.processes import WebServer


def test_a_learner_reviews_two_cards_with_the_keyboard_only(page: Page, web_server: WebServer) -> None:
    exam = make_exam("python", questions=2, title="Python drills")
    learner = make_user("minji", language="en")
    first, second = exam.questions.all()
    now = timezone.now()
    ReviewItem.objects.create(
        user=learner,
        question=first,
        due=now - timedelta(days=2),
        state=CardState.REVIEW,
        step=None,
        stability=8.0,
        difficulty=5.0,
        last_review=now - timedelta(days=10),
    )
    ReviewItem.objects.create(user=learner, question=second, due=now)
    log_in(page, web_server.url, learner)

    page.goto(f"{web_server.url}/reviews/")
    expect(page.get_by_text("Question 1 of python?")).to_be_visible()
    expect(page.get_by_text("2 cards left today")).to_be_visible()
    assert serious_violations(page) == []
    page.keyboard.press("2")  # Answer B: wrong
    expect(page.get_by_label("Answer B")).to_be_checked()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Not quite.")).to_be_visible()
    expect(page.get_by_role("heading", name="Question 1 of python?")).to_be_visible()
    expect(page.get_by_text("Because of reason 1.")).to_be_visible()
    again = page.get_by_role("button", name="Again")
    expect(again).to_be_focused()  # a wrong answer defaults to Again
    expect(again).to_contain_text("10 min")
    expect(page.get_by_role("button", name="Good")).to_contain_text(" d")
    assert serious_violations(page) == []
    screenshot(page, "review-feedback")
    page.keyboard.press("1")

    expect(page.get_by_text("Question 2 of python?")).to_be_visible()
    expect(page.get_by_label("Answer A")).to_be_visible()
    page.keyboard.press("1")
    page.keyboard.press("2")  # a multiple-choice question: A and B are right
    page.keyboard.press("Enter")
    expect(page.get_by_text("Right!")).to_be_visible()
    expect(page.get_by_role("button", name="Good")).to_be_focused()
    page.keyboard.press("4")

    # The missed card is relearning, due in 10 minutes: it comes back in the same sitting.
    expect(page.get_by_text("Question 1 of python?")).to_be_visible()
    logs = list(ReviewLog.objects.order_by("pk").values_list("rating", "state_after", "duration_ms"))
    assert [(rating, state) for rating, state, _ in logs] == [
        (Rating.AGAIN, CardState.RELEARNING),
        (Rating.EASY, CardState.REVIEW),
    ]
    assert all(duration is not None and duration > 0 for _, _, duration in logs)


def test_the_review_page_fits_a_phone_screen(browser: Browser, web_server: WebServer) -> None:
    exam = make_exam("python", questions=2)
    learner = make_user("minji", language="en")
    ReviewItem.objects.create(user=learner, question=exam.questions.all()[0], due=timezone.now())
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, web_server.url, learner)
        page.goto(f"{web_server.url}/reviews/")
        page.get_by_label("Answer A").check()
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("button", name="Easy")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        screenshot(page, "phone-review-feedback")
    finally:
        context.close()
