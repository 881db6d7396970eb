"""The strict Content-Security-Policy in a real browser: no page of the site or of Admin breaks it, and
what needs JavaScript still works (the live stream, inlines, Admin's widgets)."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django_celery_beat.models import CrontabSchedule
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from notifications.models import Level
from notifications.services import notify_users
from quiz.models import Exam, Question, Tag
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_exam, make_user
from tests.processes import WebServer

# Runs before any script of the page (Playwright injects it, so the policy does not apply to it) and
# hands every violation to the test through a binding, which outlives navigations.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile}:${event.lineNumber} on ${document.location.pathname}`);
});
"""

POLICIES = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy")


@dataclass
class Watched:
    """A browser context (and its first page) whose policy violations are collected, popups' included."""

    context: BrowserContext
    page: Page
    violations: list[str]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 800})
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Chromium reports a blocked resource and a header it cannot parse (an unknown Permissions-Policy
        # feature, say) in the console.
        if message.type in {"error", "warning"} and any(name in message.text for name in POLICIES):
            violations.append(f"console {message.type}: {message.text}")

    context.expose_binding("reportViolation", lambda _source, text: violations.append(text))
    context.add_init_script(REPORT_VIOLATIONS)
    context.on("page", lambda opened: opened.on("console", on_console))  # Admin's popups too
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Watched(context, page, violations)
    context.close()


def test_learner_pages_break_no_policy_and_a_notification_arrives_live(watched: Watched, web_server: WebServer) -> None:
    page, base = watched.page, web_server.url
    exam = make_exam("python", questions=2, title="Python drills")
    learner = make_user("minji", language="en")

    for path in ("/", "/exams/", "/accounts/signup/", "/accounts/login/", "/accounts/password-reset/"):
        page.goto(f"{base}{path}")
    log_in(page, base, learner)
    page.goto(f"{base}/exams/{exam.slug}/")
    page.get_by_role("button", name="Start the exam").click()
    for number in range(1, exam.questions.count() + 1):
        page.locator(f"#question-{number}").get_by_label("Answer A").check()
        expect(page.locator(f"#question-{number} .save-status")).to_have_text("Saved.")  # by fetch
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Score:")).to_be_visible()
    page.goto(f"{base}/exams/{exam.slug}/")
    page.get_by_role("button", name="Start practice").click()
    page.get_by_label("Flag this question").check()
    page.get_by_label("Answer A").check()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Right!")).to_be_visible()
    for path in ("/reviews/", "/attempts/", "/accounts/profile/", "/notifications/"):
        page.goto(f"{base}{path}")
    expect(page.locator("#bell[data-live=on]")).to_have_count(1)

    notify_users([learner.pk], Level.INFO, "Arrived over a strict policy")

    expect(page.locator("#bell-count")).to_have_text("1")
    page.locator("#bell summary").click()
    expect(page.locator("#bell-list li").first).to_have_text("Arrived over a strict policy")
    screenshot(page, "csp-live-notification")
    assert watched.violations == []


def test_admin_pages_break_no_policy_and_inlines_still_add_rows(watched: Watched, web_server: WebServer) -> None:
    page, base = watched.page, web_server.url
    root = make_user("root", is_staff=True, is_superuser=True)
    exam = make_exam("python", questions=1, title="Python drills")
    Tag.objects.create(name="Python", slug="python")
    crontab = CrontabSchedule.objects.create(minute="0", hour="3")

    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(root.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for path in (
        "/admin/quiz/exam/",
        "/admin/quiz/exam/import/",
        "/admin/quiz/exam/add/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{root.pk}/change/",
        "/admin/backup/backup/",
        "/admin/django_celery_results/taskresult/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/notifications/notification/",
    ):
        page.goto(f"{base}{path}")
        expect(page.locator("#content")).to_be_visible()

    # The exam's change form: filter_horizontal's widget (SelectFilter2), and the way to add a question.
    page.goto(f"{base}/admin/quiz/exam/{exam.pk}/change/")
    page.locator("#id_tags_add_all").click()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert list(Exam.objects.get(pk=exam.pk).tags.values_list("slug", flat=True)) == ["python"]
    # The question's own page, from the exam's "Add question": its choices inline (Django's inlines.js).
    page.get_by_role("link", name="Add question").click()
    page.locator("#id_text").fill("Which keyword defines a function?")
    choices = page.locator("#choices-group tr.dynamic-choices")
    expect(choices).to_have_count(2)  # min_num
    page.get_by_role("button", name="Add another Choice").click()
    expect(choices).to_have_count(3)
    page.get_by_role("button", name="Add another Choice").click()
    choices.nth(3).locator(".inline-deletelink").click()
    expect(choices).to_have_count(3)
    for row, text in zip(range(3), ("def", "fun", "lambda"), strict=True):
        choices.nth(row).locator("input[name$='-text']").fill(text)
    choices.first.locator("input[name$='-is_correct']").check()
    screenshot(page, "csp-admin-question-inlines")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    added = Question.objects.get(exam=exam, text="Which keyword defines a function?")
    assert sorted(added.choices.values_list("text", flat=True)) == ["def", "fun", "lambda"]

    # The periodic task form: its inline script moved to static/js/admin-periodic-task.js.
    page.goto(f"{base}/admin/django_celery_beat/periodictask/add/")
    page.locator("#id_crontab").select_option(str(crontab.pk))
    expect(page.locator(".field-crontab")).to_contain_text(f"Translation: {crontab.human_readable}")
    # A related object added in Admin's popup comes back to the form (window.opener, same origin).
    with page.expect_popup() as opened:
        page.locator("#add_id_crontab").click()
    popup = opened.value
    popup.locator("#id_minute").fill("30")
    # Listening before the click: the popup may close before a wait that starts after it.
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save").click()
    added_crontab = CrontabSchedule.objects.get(minute="30")
    expect(page.locator("#id_crontab")).to_have_value(str(added_crontab.pk))

    assert watched.violations == []
