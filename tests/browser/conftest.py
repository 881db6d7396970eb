"""Headless Debian Chromium driven by Playwright (it cannot download a browser of its own here)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from django.conf import settings
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from accounts.models import User
from tests.factories import PASSWORD
from tests.processes import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A browser per test: while Playwright's sync API is open, this thread counts as running an
    event loop, so the test's own ORM calls need Django's async-safety check relaxed, and only
    for as long as the browser is open."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Connections the test opened while Playwright was open are kept apart from the thread's
        # usual ones (asgiref's Local); close them here or the test database cannot be dropped.
        connections.close_all()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base: str, user: User) -> None:
    """Log in through the login form, in whatever language the page is in."""
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.locator("form[action='/accounts/logout/']")).to_have_count(1)


def sign_up(page: Page, base: str, username: str, language: str | None = None) -> None:
    """Sign up through the form as a person would (the display language chosen when given)."""
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    if language:
        page.get_by_label("Display language").select_option(language)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome to DrillQuiz!")).to_be_visible()


Scheme = Literal["light", "dark"]


def in_language(context: BrowserContext, base: str, language: str) -> None:
    """Pages of the context come in `language` (the cookie LocaleMiddleware reads; logging in resets it)."""
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])


def open_context(browser: Browser, base: str, width: int, language: str, scheme: Scheme = "light") -> BrowserContext:
    """A browser `width` pixels wide (a phone's below 500), in `language`, light or dark."""
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(15_000)
    in_language(context, base, language)
    return context
