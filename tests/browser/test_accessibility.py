"""axe-core over every learner page, logged in and out: no serious or critical violation."""

from playwright.sync_api import Page

from notifications.models import Level
from notifications.services import notify_users
from quiz import services
from quiz.models import Exam
from tests.browser.axe import serious_violations
from tests.browser.conftest import log_in
from tests.factories import make_exam, make_user
from tests.processes import WebServer

ANONYMOUS_PAGES = [
    "/",
    "/exams/",
    "/exams/python/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
]
LEARNER_PAGES = ["/", "/exams/", "/exams/python/", "/attempts/", "/reviews/", "/reviews/settings/"]
LEARNER_PAGES += ["/accounts/profile/", "/notifications/"]
LEARNER_PAGES += ["/progress/"]


def violations_on(page: Page, base: str, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        page.goto(f"{base}{path}")
        found[path] = serious_violations(page)
    return {path: violations for path, violations in found.items() if violations}


def test_no_learner_page_has_a_serious_accessibility_violation(page: Page, web_server: WebServer) -> None:
    exam: Exam = make_exam("python", questions=3, title="Python drills")
    learner = make_user("minji", language="en")
    services.add_to_review_queue(learner, [exam.questions.all()[0].pk], services.timezone.now())
    notify_users([learner.pk], Level.INFO, "Welcome")

    assert violations_on(page, web_server.url, ANONYMOUS_PAGES) == {}

    log_in(page, web_server.url, learner)
    assert violations_on(page, web_server.url, LEARNER_PAGES) == {}


def unreached_by_tab(page: Page) -> list[str]:
    """The visible links, buttons and fields of the page that pressing Tab never reaches."""
    total = page.evaluate(
        """() => {
            const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
            const all = document.querySelectorAll(controls);
            const visible = [...all].filter(el => el.checkVisibility({visibilityProperty: true}) && !el.disabled);
            visible.forEach((el, index) => el.dataset.tabCheck = String(index));
            return visible.length;
        }"""
    )
    reached = set()
    for _ in range(total + 2):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement && document.activeElement.dataset.tabCheck"))
    # A radio group is one Tab stop (arrow keys move inside it), as in every browser.
    return page.evaluate(
        """(reached) => {
            const stops = [...document.querySelectorAll('[data-tab-check]')];
            const isReached = el => reached.includes(el.dataset.tabCheck);
            const groupReached = el => el.type === 'radio' &&
                stops.some(other => other.type === 'radio' && other.name === el.name && isReached(other));
            return stops.filter(el => !isReached(el) && !groupReached(el)).map(el => el.outerHTML.slice(0, 80));
        }""",
        [value for value in reached if value is not None],
    )


def test_every_learner_page_can_be_used_with_the_keyboard(page: Page, web_server: WebServer) -> None:
    exam = make_exam("python", questions=3, title="Python drills")
    learner = make_user("minji", language="en")
    services.add_to_review_queue(learner, [exam.questions.all()[0].pk], services.timezone.now())
    log_in(page, web_server.url, learner)

    unreached = {}
    for path in LEARNER_PAGES:
        page.goto(f"{web_server.url}{path}")
        unreached[path] = unreached_by_tab(page)

    assert {path: elements for path, elements in unreached.items() if elements} == {}
