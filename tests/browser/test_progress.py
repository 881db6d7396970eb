"""The progress page and the home page's progress block in a real browser: on a phone, in English and
Korean, and for a screen reader (axe-core)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.models import User
from quiz.models import Attempt, CardState, Exam, Rating, ReviewItem, ReviewLog
from tests.browser.axe import serious_violations
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_exam, make_user
from tests.processes import WebServer

PHONE = ViewportSize(width=390, height=844)


def studied(user: User, exam: Exam) -> None:
    """Half a year of reviews (every other day, more on some), a finished attempt, cards coming due."""
    now = timezone.now()
    questions = list(exam.questions.all())
    items = [
        ReviewItem.objects.create(user=user, question=question, due=now + timedelta(days=3 * number))
        for number, question in enumerate(questions)
    ]
    ReviewLog.objects.bulk_create(
        ReviewLog(
            item=items[day % len(items)],
            user=user,
            rating=Rating.AGAIN if day % 5 == 0 else Rating.GOOD,
            reviewed_at=now - timedelta(days=day, minutes=repeat),
            state_before=CardState.REVIEW,
            due_before=now,
            state_after=CardState.REVIEW,
            due_after=now,
        )
        for day in range(1, 180, 2)
        for repeat in range(1 + day % 7)
    )
    Attempt.objects.create(user=user, exam=exam, finished=now, correct_count=2, question_count=len(questions))


def sideways_scroll(page: Page) -> int:
    overflow: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return overflow


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_progress_page_fits_a_phone_and_a_screen_reader(
    browser: Browser, web_server: WebServer, language: str
) -> None:
    exam = make_exam("python", questions=4, title="Python drills with a rather long title that must wrap")
    learner = make_user("minji", language=language)
    studied(learner, exam)
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, web_server.url, learner)
        page.goto(f"{web_server.url}/progress/")
        heading = {"en": "Your progress", "ko": "나의 학습 현황"}[language]
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()

        assert sideways_scroll(page) <= 0, f"the progress page scrolls sideways by {sideways_scroll(page)}px"
        # The heatmap opens on the latest weeks: today's cell is on screen.
        today = page.locator("svg.heatmap rect.today").bounding_box()
        assert today is not None
        assert today["x"] >= 0 and today["x"] + today["width"] <= PHONE["width"]
        expect(page.locator("svg.bars rect.bar")).to_have_count(4)  # a bar for each card, 3 days apart
        page.locator("main summary").first.click()
        expect(page.locator("table.data").first).to_be_visible()
        assert sideways_scroll(page) <= 0, "the heatmap's table scrolls the page sideways"
        screenshot(page, f"progress-phone-{language}")
        assert serious_violations(page) == []
        page.set_viewport_size(ViewportSize(width=1024, height=800))
        screenshot(page, f"progress-desktop-{language}")

        page.set_viewport_size(PHONE)
        page.goto(f"{web_server.url}/")
        block = page.locator(".progress-block")
        expect(block).to_be_visible()
        see_all = {"en": "See all your progress", "ko": "학습 현황 전체 보기"}[language]
        expect(block.get_by_role("link", name=see_all)).to_be_visible()
        assert sideways_scroll(page) <= 0
        screenshot(page, f"home-progress-phone-{language}")
        assert serious_violations(page) == []
    finally:
        context.close()
