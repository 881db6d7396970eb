"""Live notifications in two real browsers: only the right user's page updates, and a restart loses nothing."""

import time

from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from jobs import services as jobs
from jobs.tasks import ping
from notifications.models import Level
from notifications.services import notify_users
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_user
from tests.processes import WebServer


def open_logged_in(browser: Browser, server: WebServer, user: User) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#bell[data-live=on]")).to_have_count(1)
    return context, page


def test_a_job_finished_by_the_worker_appears_live_for_its_owner_only_and_survives_a_restart(
    browser: Browser, web_server: WebServer, celery_worker: object
) -> None:
    alice, bob = make_user("alice", language="en"), make_user("bob", language="en")
    (alice_context, alice_page), (bob_context, bob_page) = (
        open_logged_in(browser, web_server, user) for user in (alice, bob)
    )

    started = time.monotonic()
    jobs.start_job(alice, ping.name)
    expect(alice_page.locator("#bell-count")).to_have_text("1", timeout=10_000)
    assert time.monotonic() - started < 2, "the notification took more than 2 seconds"
    alice_page.locator("#bell summary").click()
    expect(alice_page.locator("#bell-list li").first).to_have_text("Job finished: jobs.tasks.ping")
    screenshot(alice_page, "live-notification")
    expect(bob_page.locator("#bell-count")).to_be_hidden()
    expect(bob_page.locator("#bell-list")).to_contain_text("No notifications yet.")

    web_server.stop()
    notify_users([alice.pk], Level.INFO, "While you were away")
    web_server.start()

    expect(alice_page.locator("#bell-count")).to_have_text("2", timeout=15_000)
    time.sleep(4)  # room for a duplicate to show up, if the replay sent one
    expect(alice_page.locator("#bell-list li", has_text="While you were away")).to_have_count(1)
    expect(alice_page.locator("#bell-count")).to_have_text("2")
    expect(bob_page.locator("#bell-count")).to_be_hidden()
    alice_context.close()
    bob_context.close()
