"""Admin lists an editor or admin reads most fit the window: no column cut off, nothing to scroll sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from backup.models import Backup
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_exam, make_user
from tests.processes import WebServer
from translations import registry, storage

# How far the list's table reaches past its box, and the page past the window, in CSS pixels.
OVERFLOW = """() => {
  const box = document.querySelector('.results') || document.querySelector('#content');
  return [box.scrollWidth - box.clientWidth, document.documentElement.scrollWidth - window.innerWidth];
}"""


def recorded_backups() -> None:
    now = timezone.now()
    for number in range(6):
        started = now - timedelta(days=number, seconds=number * 7)
        Backup.objects.create(
            trigger=("schedule", "admin", "command")[number % 3],
            status="succeeded" if number else "failed",
            started=started,
            finished=started + timedelta(seconds=4.2 + number * 61),
            engine="postgresql",
            file_name=f"drillquiz-{started:%Y%m%dT%H%M%SZ}-{number + 1}.sql.zst" if number else "",
            size=12_897_485 * (number + 1) if number else None,
            verified=bool(number),
            drill_ok=True if number == 1 else None,
            error="" if number else "pg_dump: error: connection to server failed",
        )


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_admin_lists_fit_the_window(browser: Browser, web_server: WebServer, width: int) -> None:
    root = make_user("root", is_staff=True, is_superuser=True)
    exam = make_exam("python", questions=12, title="Python: the language, its standard library and its tools")
    objects = [exam, *exam.questions.all()]
    storage.upsert(
        "ko",
        "pseudo",
        [
            storage.Entry(registry.label(type(o)), o.pk, name, "긴 번역 " * 40, registry.source_hash(getattr(o, name)))
            for o in objects
            for name in registry.FIELDS[type(o)]
        ],
    )
    recorded_backups()
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{web_server.url}/admin/login/")
    page.get_by_label("Username").fill(root.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    overflows = {}
    for name, path in {
        "backups": "/admin/backup/backup/",
        "translations": "/admin/translations/translation/",
        "questions": f"/admin/quiz/question/?exam__id__exact={exam.pk}",
        "exam": f"/admin/quiz/exam/{exam.pk}/change/",
    }.items():
        page.goto(f"{web_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
        screenshot(page, f"admin-{name}-{width}")
        overflows[name] = page.evaluate(OVERFLOW)
    context.close()

    assert overflows == {name: [0, 0] for name in overflows}
