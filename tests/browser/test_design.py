"""The design in a real browser: every learner page fits a phone and a tablet with the longest content,
in both languages; screenshots of each in light and dark mode; the header's menu, the language switch,
the bell, the live notifications page, page titles, icons and the sign-up's time zone."""

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from notifications.models import Level
from notifications.services import notify_users
from tests.browser.conftest import Scheme, in_language, log_in, open_context, screenshot, sign_up
from tests.browser.content import ANONYMOUS_PATHS, LONG_CODE, Site, learner_who_has_been_everywhere
from tests.factories import make_user
from tests.processes import WebServer

SCREENSHOT_PAGES = ["home", "exam-list", "exam-detail", "exam", "result", "reviews", "progress"]
SCREENSHOT_PAGES += ["notifications", "profile"]


@pytest.fixture
def site(transactional_db: None) -> Site:
    return learner_who_has_been_everywhere()


def logged_in(context: BrowserContext, base: str, learner: User, language: str) -> Page:
    page = context.new_page()
    log_in(page, base, learner)
    in_language(context, base, language)
    return page


def sideways_scroll(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("width", [320, 390, 768])
def test_no_learner_page_scrolls_sideways(browser: Browser, web_server: WebServer, site: Site, width: int) -> None:
    base = web_server.url
    overflow = {}
    for language in ("en", "ko"):
        context = open_context(browser, base, width, language)
        anonymous = context.new_page()
        for name, path in ANONYMOUS_PATHS.items():
            anonymous.goto(f"{base}{path}")
            overflow[f"{language} {name}"] = sideways_scroll(anonymous)
        page = logged_in(context, base, site.learner, language)
        for name, path in site.paths.items():
            page.goto(f"{base}{path}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            overflow[f"{language} {name}"] = sideways_scroll(page)
        page.locator("#bell summary").click()  # the open bell menu must fit too, on both sides
        box = page.locator(".bell-menu").bounding_box()
        assert box is not None
        overflow[f"{language} bell menu"] = max(
            sideways_scroll(page), round(-box["x"]), round(box["x"] + box["width"] - width)
        )
        context.close()

    assert {name: pixels for name, pixels in overflow.items() if pixels > 0} == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_every_learner_page_in_both_languages(
    browser: Browser, web_server: WebServer, site: Site, scheme: Scheme
) -> None:
    base = web_server.url
    for language in ("en", "ko"):
        for width in (390, 1280):
            context = open_context(browser, base, width, language, scheme)
            anonymous = context.new_page()
            anonymous.goto(f"{base}{ANONYMOUS_PATHS['sign-up']}")
            screenshot(anonymous, f"design/{scheme}-{language}-{width}-sign-up")
            page = logged_in(context, base, site.learner, language)
            for name in SCREENSHOT_PAGES:
                page.goto(f"{base}{site.paths[name]}")
                screenshot(page, f"design/{scheme}-{language}-{width}-{name}")
            if width < 500:
                page.get_by_role("button", name=re.compile("Menu|메뉴")).click()
                screenshot(page, f"design/{scheme}-{language}-{width}-menu-open")
            context.close()


def test_at_phone_width_the_header_is_one_row_and_the_nav_opens_as_a_menu(
    browser: Browser, web_server: WebServer, site: Site
) -> None:
    context = open_context(browser, web_server.url, 390, "en")
    page = logged_in(context, web_server.url, site.learner, "en")
    header = page.locator(".site-header")
    nav_link = page.locator("#site-nav").get_by_role("link", name="Reviews")

    box = header.bounding_box()
    assert box is not None and box["height"] <= 60
    expect(nav_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav_link).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    nav_link.click()
    expect(page.get_by_role("heading", name="Reviews", exact=True)).to_be_visible()
    context.close()


def test_focus_is_visible_on_links_buttons_and_fields(page: Page, web_server: WebServer) -> None:
    page.goto(f"{web_server.url}/accounts/signup/")
    outlines = []
    for _ in range(8):
        page.keyboard.press("Tab")
        outlines.append(
            page.evaluate(
                "[document.activeElement.outerHTML.slice(0, 60), getComputedStyle(document.activeElement).outlineStyle]"
            )
        )

    assert len([element for element, _style in outlines if not element.startswith("<body")]) >= 6
    assert [element for element, style in outlines if style == "none" and not element.startswith("<body")] == []


def test_the_bell_is_an_icon_whose_name_says_the_unread_count(page: Page, web_server: WebServer, site: Site) -> None:
    log_in(page, web_server.url, site.learner)
    bell = page.locator("#bell summary")

    expect(bell).to_have_accessible_name("Notifications 1 unread")
    expect(page.locator("#bell-count")).to_have_text("1")
    assert bell.locator("svg").count() == 1
    assert "🔔" not in bell.inner_text()


def test_the_language_applies_on_change_without_a_button(page: Page, web_server: WebServer) -> None:
    page.goto(f"{web_server.url}/exams/")

    expect(page.get_by_role("button", name="Switch")).to_have_count(0)
    page.get_by_label("Language").select_option("ko")

    expect(page.get_by_role("heading", name="시험")).to_be_visible()
    assert page.url == f"{web_server.url}/exams/"


def test_without_javascript_the_language_switch_has_its_button_and_the_nav_is_shown(
    browser: Browser, web_server: WebServer
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{web_server.url}/exams/")

    expect(page.locator("#site-nav").get_by_role("link", name="Sign up")).to_be_visible()
    page.get_by_label("Language").select_option("ko")
    page.get_by_role("button", name="Switch").click()

    expect(page.get_by_role("heading", name="시험")).to_be_visible()
    assert sideways_scroll(page) <= 0
    context.close()


def test_the_notifications_page_updates_live_like_the_bell(page: Page, web_server: WebServer) -> None:
    learner = make_user("minji", language="en")
    log_in(page, web_server.url, learner)
    page.goto(f"{web_server.url}/notifications/")
    expect(page.locator("#bell[data-live=on]")).to_have_count(1)
    expect(page.locator("#notification-list")).to_have_text("No notifications yet.")

    notify_users([learner.pk], Level.SUCCESS, f"Backup done: {LONG_CODE}", body="12.3 MB")

    row = page.locator("#notification-list li").first
    expect(row).to_contain_text(f"Backup done: {LONG_CODE}")
    expect(row).to_contain_text("12.3 MB")
    expect(row.locator("time")).to_have_text("now")
    expect(page.locator("#bell-count")).to_have_text("1")
    expect(page.locator("#notification-list li")).to_have_count(1)
    screenshot(page, "design/notifications-live")
    row.get_by_role("button", name="Mark read").click()

    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    assert learner.notifications.get().read


def test_every_page_title_follows_one_pattern(page: Page, web_server: WebServer, site: Site) -> None:
    base = web_server.url
    titles = {}
    for path in ANONYMOUS_PATHS.values():
        page.goto(f"{base}{path}")
        titles[path] = page.title()
    log_in(page, base, site.learner)
    for path in site.paths.values():
        page.goto(f"{base}{path}")
        titles[path] = page.title()

    assert titles.pop("/") == "DrillQuiz"
    assert {path: title for path, title in titles.items() if not re.fullmatch(r"\S.* · DrillQuiz", title)} == {}
    assert "DrillQuiz · DrillQuiz" not in titles.values()


def test_the_favicon_and_app_icons_are_served(web_server: WebServer) -> None:
    base = web_server.url
    favicon = requests.get(f"{base}/favicon.ico", timeout=5, allow_redirects=False)
    assert favicon.status_code == 200
    assert favicon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    home = requests.get(f"{base}/", timeout=5).text
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"', home):
        response = requests.get(f"{base}{href}", timeout=5)
        assert response.status_code == 200, href
    assert re.search(r'rel="apple-touch-icon" href="[^"]+\.png"', home)


@pytest.fixture
def new_york(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    yield context.new_page()
    context.close()


def test_signing_up_takes_the_browsers_time_zone_and_the_profile_shows_it(
    new_york: Page, web_server: WebServer
) -> None:
    page = new_york
    sign_up(page, web_server.url, "minji")

    assert User.objects.get(username="minji").time_zone == "America/New_York"
    page.goto(f"{web_server.url}/accounts/profile/")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
