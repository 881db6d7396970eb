"""The backups list and page show sizes, durations and times as a person reads them, the same on both."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from backup.models import Backup
from tests.factories import make_user

NBSP = "\xa0"
STARTED = datetime(2026, 12, 2, 6, 48, 3, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def backup(db: None) -> Backup:
    return Backup.objects.create(
        trigger="schedule",
        status="succeeded",
        started=STARTED,
        finished=STARTED + timedelta(seconds=4.23),
        engine="postgresql",
        file_name=f"drillquiz-{STARTED:%Y%m%dT%H%M%SZ}-1.sql.zst",
        size=12_897_485,
        sha256="0" * 64,
        verified=True,
    )


@pytest.fixture
def admin_client(client: Client, db: None) -> Client:
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_the_list_and_the_page_show_the_same_size_duration_and_zoned_times(
    admin_client: Client, backup: Backup
) -> None:
    listed = admin_client.get("/admin/backup/backup/").content.decode()
    page = admin_client.get(f"/admin/backup/backup/{backup.pk}/change/").content.decode()

    for html in (listed, page):
        assert f"12.3{NBSP}MB" in html
        assert f"4.2{NBSP}s" in html
        assert f"2026-12-02 15:48{NBSP}KST" in html  # the admin's time zone (Asia/Seoul), named
    assert "0:00:04" not in listed + page
    assert "12897485" not in page  # raw bytes
    assert f"2026-12-02 15:48{NBSP}KST" in page.split("field-finished_shown")[1]


def test_the_list_shows_times_in_the_readers_time_zone_and_names_it(admin_client: Client, backup: Backup) -> None:
    listed = admin_client.get("/admin/backup/backup/").content.decode()

    assert f"2026-12-02 15:48{NBSP}KST" in listed  # the admin's own zone, Asia/Seoul by default
    assert backup.file_name in listed  # the file name's time is that same moment, in UTC


def test_a_running_backup_shows_dashes_for_what_is_not_known_yet(admin_client: Client) -> None:
    running = Backup.objects.create(trigger="admin", started=STARTED, engine="postgresql")

    page = admin_client.get(f"/admin/backup/backup/{running.pk}/change/")

    assert page.status_code == 200
    assert '<div class="readonly">-</div>' in page.content.decode()
