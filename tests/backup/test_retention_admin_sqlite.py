"""Retention, the Admin pages, and the same backup and restore on the embedded SQLite default."""

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from backup import services
from backup.models import Backup
from notifications.models import Notification
from tests.backup.test_backup import files_in
from tests.factories import make_user
from tests.processes import ROOT, process_env, wait_until

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def backup_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    return services.backup_dir()


def recorded_backup(directory: Path, started: datetime, status: str = "succeeded", with_file: bool = True) -> Backup:
    backup = Backup.objects.create(trigger="schedule", status=status, started=started, engine="postgresql")
    if status == "succeeded":
        backup.file_name = f"drillquiz-{started:%Y%m%dT%H%M}-{backup.pk}.sql.zst"
        backup.save()
        if with_file:
            (directory / backup.file_name).write_bytes(b"archive")
    return backup


def test_retention_keeps_the_last_daily_and_weekly_backups_and_reports_strays(
    settings: Settings, backup_dir: Path, db: None
) -> None:
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY = 3, 2
    staff = make_user("staff", is_staff=True)
    at = [
        datetime(2026, 11, 25, 10, tzinfo=SEOUL),  # Wednesday, ISO week 48: newest of its day and week
        datetime(2026, 11, 25, 3, tzinfo=SEOUL),  # the same day, older: goes
        datetime(2026, 11, 24, 3, tzinfo=SEOUL),  # daily (its file went missing: reported, kept)
        datetime(2026, 11, 23, 3, tzinfo=SEOUL),  # daily, the third day
        datetime(2026, 11, 22, 3, tzinfo=SEOUL),  # Sunday, week 47: weekly
        datetime(2026, 11, 21, 3, tzinfo=SEOUL),  # week 47, older: goes
        datetime(2026, 11, 14, 3, tzinfo=SEOUL),  # week 46, past the two weeks: goes
    ]
    backups = [recorded_backup(backup_dir, started, with_file=index != 2) for index, started in enumerate(at)]
    old_failure = recorded_backup(backup_dir, datetime(2026, 1, 1, tzinfo=SEOUL), status="failed")
    (backup_dir / "drillquiz-20250101T0300-99.sql.zst").write_bytes(b"stray")

    report = services.prune()

    kept = [backups[0], backups[2], backups[3], backups[4]]
    gone = [backups[1], backups[5], backups[6]]
    assert set(Backup.objects.values_list("pk", flat=True)) == {backup.pk for backup in kept}
    assert sorted(report["deleted"]) == sorted(backup.file_name for backup in gone)
    assert not Backup.objects.filter(pk=old_failure.pk).exists()
    assert report["files_without_record"] == ["drillquiz-20250101T0300-99.sql.zst"]
    assert report["records_without_file"] == [backups[2].file_name]
    on_disk = sorted(path.name for path in backup_dir.iterdir())
    expected = [backups[0].file_name, backups[3].file_name, backups[4].file_name, *report["files_without_record"]]
    assert on_disk == sorted(expected)
    assert Notification.objects.get(user=staff).title == "Backups out of step with their records"


def test_admin_backs_up_now_answers_with_the_task_id_and_downloads_for_staff_only(
    client: Client, backup_dir: Path, celery_worker: object
) -> None:
    admin = make_user("admin", is_staff=True, is_superuser=True)
    learner = make_user("learner")
    client.force_login(admin)
    changelist = reverse("admin:backup_backup_changelist")
    assert "Back up now" in client.get(changelist).content.decode()

    response = client.post(reverse("admin:backup_backup_now"))

    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.startswith("Backup started: task ")
    wait_until(lambda: Backup.objects.filter(status="succeeded").exists(), 30, "the backup")
    backup = Backup.objects.get()
    assert (backup.trigger, backup.task_id) == ("admin", message.removeprefix("Backup started: task ").rstrip("."))
    download = reverse("admin:backup_backup_download", args=[backup.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == (backup_dir / backup.file_name).read_bytes()  # type: ignore[attr-defined]
    assert client.get(reverse("admin:backup_backup_change", args=[backup.pk])).status_code == 200

    client.force_login(learner)
    assert client.get(download).status_code == 302  # to the admin login
    assert client.post(reverse("admin:backup_backup_now")).status_code == 302
    client.logout()
    assert client.get(download).status_code == 302
    assert Backup.objects.count() == 1


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_embedded_sqlite_default_backs_up_verifies_and_restores(tmp_path: Path, db: None) -> None:
    live = tmp_path / "db.sqlite3"
    env = process_env(
        unset=("CELERY_BROKER_URL", "CACHE_URL"),
        DATABASE_URL=f"sqlite:///{live}",
        DRILLQUIZ_VAR_DIR=str(tmp_path / "var"),
        BACKUP_DIR=str(tmp_path / "backups"),
    )
    for step in (["migrate", "--noinput"], ["load_demo"]):
        assert manage(*step, env=env).returncode == 0

    made = manage("backup_now", env=env)

    assert made.returncode == 0, made.stderr
    assert "backup 1 succeeded" in made.stdout
    assert "SQLite integrity_check read the whole file: ok" in made.stdout
    [name] = files_in(tmp_path / "backups")
    file = tmp_path / "backups" / name
    assert file.name.endswith(".sqlite3")
    assert file.stat().st_mode & 0o777 == 0o600
    refused = manage("restore_backup", "1", "--into", str(live), env=env)
    assert refused.returncode == 1
    error = f"CommandError: {live} is the live database: pass --force to overwrite it"
    assert refused.stderr.strip().splitlines() == [error]

    restored = tmp_path / "restored.sqlite3"
    assert manage("restore_backup", "1", "--into", str(restored), env=env).returncode == 0

    query = "SELECT count(*) FROM quiz_question"
    with sqlite3.connect(live) as source, sqlite3.connect(restored) as copy:
        [demo_questions] = source.execute(query).fetchone()
        assert copy.execute(query).fetchone() == (demo_questions,)
    assert demo_questions >= 100
