"""axe-core over every learner page, logged in and out, with the longest content, in both languages,
light and dark, wide and narrow: no serious or critical violation."""

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.axe import serious_violations
from tests.browser.conftest import Scheme, in_language, log_in, open_context
from tests.browser.content import ANONYMOUS_PATHS, Site, learner_who_has_been_everywhere
from tests.processes import WebServer

ANONYMOUS_PAGES = ["/", "/exams/", "/exams/long/", "/accounts/password-reset/", *ANONYMOUS_PATHS.values()]


@pytest.fixture
def site(transactional_db: None) -> Site:
    return learner_who_has_been_everywhere()


def violations_on(page: Page, base: str, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        page.goto(f"{base}{path}")
        found[path] = serious_violations(page)
    return {path: violations for path, violations in found.items() if violations}


@pytest.mark.parametrize(
    ("scheme", "language", "width"),
    [("light", "en", 1024), ("dark", "en", 1280), ("light", "ko", 390), ("dark", "ko", 390)],
)
def test_no_learner_page_has_a_serious_accessibility_violation(
    browser: Browser, web_server: WebServer, site: Site, scheme: Scheme, language: str, width: int
) -> None:
    context = open_context(browser, web_server.url, width, language, scheme)
    page = context.new_page()

    assert violations_on(page, web_server.url, ANONYMOUS_PAGES) == {}

    log_in(page, web_server.url, site.learner)
    in_language(context, web_server.url, language)
    assert violations_on(page, web_server.url, list(site.paths.values())) == {}
    context.close()


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
    unreached: list[str] = page.evaluate(
        """(reached) => {
            const stops = [...document.querySelectorAll('[data-tab-check]')];
            const isReached = el => reached.includes(el.dataset.tabCheck);
            const groupReached = el => el.type === 'radio' &&
                stops.some(other => other.type === 'radio' && other.name === el.name && isReached(other));
            return stops.filter(el => !isReached(el) && !groupReached(el)).map(el => el.outerHTML.slice(0, 80));
        }""",
        [value for value in reached if value is not None],
    )
    return unreached


def test_every_learner_page_can_be_used_with_the_keyboard(page: Page, web_server: WebServer, site: Site) -> None:
    log_in(page, web_server.url, site.learner)

    unreached = {}
    for path in site.paths.values():
        page.goto(f"{web_server.url}{path}")
        unreached[path] = unreached_by_tab(page)

    assert {path: elements for path, elements in unreached.items() if elements} == {}
