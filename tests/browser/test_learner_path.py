"""What a learner does in a real browser: sign up, take an exam, review the miss, read Korean."""

from playwright.sync_api import Browser, Page, expect

from quiz.models import CardState, ReviewItem
from tests.browser.conftest import screenshot, sign_up
from tests.factories import PASSWORD, make_exam
from tests.processes import WebServer


def answer(page: Page, number: int, *labels: str) -> None:
    fieldset = page.locator(f"#question-{number + 1}")
    for label in labels:
        fieldset.get_by_label(label).check()


def test_sign_up_take_an_exam_review_the_miss_and_switch_to_korean(page: Page, web_server: WebServer) -> None:
    make_exam("python", questions=3, title="Python drills")
    base = web_server.url

    sign_up(page, base, "minji", language="en")

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("minji")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Python drills").click()
    page.get_by_role("button", name="Start the exam").click()
    answer(page, 0, "Answer B")  # wrong: A is right
    answer(page, 1, "Answer A")
    answer(page, 2, "Answer A", "Answer B")
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_text("Score: 2 / 3 (67%)")).to_be_visible()
    expect(page.get_by_text("Because of reason 1.")).to_be_visible()
    screenshot(page, "result")

    page.get_by_role("link", name="Review now").click()
    expect(page.get_by_text("Question 1 of python?")).to_be_visible()
    expect(page.get_by_text("1 card left today")).to_be_visible()
    screenshot(page, "review")
    page.get_by_label("Answer A").check()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Right!")).to_be_visible()
    page.get_by_role("button", name="Easy").click()
    expect(page.get_by_text("Nothing to review today. Well done!")).to_be_visible()
    assert ReviewItem.objects.get().state == CardState.REVIEW

    page.get_by_label("Language").select_option("ko")  # applies on change
    expect(page.get_by_role("heading", name="복습")).to_be_visible()
    expect(page.get_by_role("link", name="시험")).to_be_visible()


def test_pages_fit_a_phone_screen(browser: Browser, web_server: WebServer) -> None:
    make_exam("python", questions=3, title="Python drills with a rather long title that must wrap on a phone")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        for path in ("/", "/exams/", "/exams/python/", "/accounts/signup/"):
            page.goto(f"{web_server.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        screenshot(page, "phone-signup")
    finally:
        context.close()
