"""Backups with the real pg_dump, zstd and psql against the test database, and the real worker."""

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django import Settings
from pytest_httpserver import HTTPServer

from backup import services
from backup.errors import BackupRefused
from backup.models import Backup
from backup.postgres import Postgres
from backup.tasks import backup_database, restore_drill
from drillquiz.payloads import InvalidTaskArguments
from jobs.services import enqueue
from notifications.models import Notification
from tests.factories import make_exam, make_user
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def backup_settings(settings: Settings, tmp_path: Path) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_RETRY_DELAY_SECONDS = 0.2
    return Path(settings.BACKUP_DIR)


@pytest.fixture
def scratch_database() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"
    db = services.engine()
    assert isinstance(db, Postgres)
    db.drop_database(name)
    yield name
    db.drop_database(name)


def connect(dbname: str) -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(dbname=dbname, host=db["HOST"], port=db["PORT"], user=db["USER"], autocommit=True)


def all_rows(dbname: str) -> dict[str, list[str]]:
    """Every row of every table, in a stable order."""
    with connect(dbname) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        return {
            table: sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
            for table in tables
        }


class TableLock:
    """Another session holding an exclusive lock on a table, so a pg_dump of it waits."""

    def __init__(self, table: str) -> None:
        self.conn = connect(connection.settings_dict["NAME"])
        self.conn.autocommit = False
        self.conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


@pytest.fixture
def exam_table_locked() -> Iterator[TableLock]:
    make_exam("Locked")
    lock = TableLock("quiz_exam")
    yield lock
    lock.release()  # before the test database is flushed, which would wait for it


def pg_dump_running(dbname: str) -> bool:
    return subprocess.run(["pgrep", "-f", f"pg_dump.*{dbname}"], capture_output=True, check=False).returncode == 0


def slack_messages(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data)["attachments"][0] for request, _ in server.log]


def files_in(directory: Path) -> list[str]:
    """The files in a backup folder, but for the lock files that stay there."""
    if not directory.exists():
        return []
    return sorted(path.name for path in directory.iterdir() if path.suffix != ".lock")


def test_a_backup_restores_into_a_new_database_with_identical_rows(
    backup_settings: Path, scratch_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_exam("Backed up 백업", questions=3)
    make_user("kept", email="kept@example.com")
    live = connection.settings_dict["NAME"]

    call_command("backup_now")

    backup = Backup.objects.get()
    assert backup.status == Backup.Status.SUCCEEDED
    assert backup.trigger == Backup.Trigger.COMMAND
    path = backup_settings / backup.file_name
    assert files_in(backup_settings) == [backup.file_name]  # no partial file left beside it
    assert path.stat().st_mode & 0o777 == 0o600
    assert backup.size == path.stat().st_size
    assert backup.sha256 == services.sha256(path)
    assert backup.verified is True
    assert backup.server_version.startswith("15")
    assert backup.row_counts["public.quiz_question"] == 3
    assert f"backup {backup.pk} succeeded" in capsys.readouterr().out

    call_command("restore_backup", str(backup.pk), "--into", scratch_database)

    restored, source = all_rows(scratch_database), all_rows(live)
    # The dump holds its own record as it was mid-backup (running); every other row is the same.
    assert restored.pop("backup_backup")[0].startswith(f"({backup.pk}, 'command', 'running'")
    source.pop("backup_backup")
    assert restored == source
    assert all_rows(live)["quiz_exam"]  # the comparison compared something


def test_a_dump_past_the_time_limit_is_killed_leaves_no_file_and_is_retried(
    settings: Settings, backup_settings: Path, exam_table_locked: TableLock, celery_worker: object
) -> None:
    settings.BACKUP_TIME_LIMIT_SECONDS = 2
    live = connection.settings_dict["NAME"]

    enqueue(backup_database.name, "admin")

    wait_until(lambda: Backup.objects.filter(status=Backup.Status.RETRYING).exists(), 20, "the first attempt to fail")
    backup = Backup.objects.get()
    assert "pg_dump was still running at the time limit and was killed" in backup.error
    assert not pg_dump_running(live)
    assert files_in(backup_settings) == []
    exam_table_locked.release()
    wait_until(lambda: Backup.objects.filter(status=Backup.Status.SUCCEEDED).exists(), 30, "the retry to succeed")
    backup.refresh_from_db()
    assert backup.attempts >= 2
    assert files_in(backup_settings) == [backup.file_name]


def test_wrong_credentials_are_recorded_and_told_to_slack_once(
    settings: Settings, backup_settings: Path, slack_webhook: HTTPServer, celery_worker: object
) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("ok")
    settings.BACKUP_MAX_RETRIES = 2
    db = connection.settings_dict
    settings.BACKUP_DATABASE_URL = f"postgres://no_such_role:pw-s3cret@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    staff = make_user("staff", is_staff=True)

    enqueue(backup_database.name, "admin")

    wait_until(lambda: Backup.objects.filter(status=Backup.Status.FAILED).exists(), 30, "the backup to fail for good")
    backup = Backup.objects.get()
    assert backup.attempts == 3
    assert 'role "no_such_role" does not exist' in backup.error
    wait_until(lambda: len(slack_webhook.log) >= 1, 10, "the Slack alert")
    wait_until(lambda: Notification.objects.filter(user=staff).exists(), 5, "the staff notification")
    time.sleep(1)  # room for a second message, which must not come
    messages = slack_messages(slack_webhook)
    assert [message["title"] for message in messages] == ["Database backup failed"]
    assert "no_such_role" in json.dumps(messages[0])
    assert "pw-s3cret" not in slack_webhook.log[0][0].get_data(as_text=True)
    assert "pw-s3cret" not in backup.error
    assert files_in(backup_settings) == []


def test_a_second_backup_is_refused_while_one_runs(
    settings: Settings, backup_settings: Path, exam_table_locked: TableLock
) -> None:
    settings.BACKUP_TIME_LIMIT_SECONDS = 30
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(backup_database.apply(args=("admin",)).get()))
    first.start()
    wait_until(lambda: Backup.objects.filter(status=Backup.Status.RUNNING).exists(), 10, "the first backup to start")

    second = backup_database.apply(args=("admin",)).get()

    exam_table_locked.release()
    first.join(30)
    assert second["status"] == "refused"
    assert "is running" in second["reason"]
    assert results[0]["status"] == "succeeded"
    assert Backup.objects.count() == 1


def test_the_same_task_given_out_again_while_it_runs_leaves_it_alone(
    settings: Settings, backup_settings: Path, exam_table_locked: TableLock
) -> None:
    """Redis gives a reconnecting worker's unacknowledged tasks out again, even while they run."""
    settings.BACKUP_TIME_LIMIT_SECONDS = 30
    results: list[Any] = []
    first = threading.Thread(
        target=lambda: results.append(backup_database.apply(args=("admin",), task_id="given-twice").get())
    )
    first.start()
    wait_until(lambda: Backup.objects.filter(status=Backup.Status.RUNNING).exists(), 10, "the first backup to start")

    again = backup_database.apply(args=("admin",), task_id="given-twice").get()

    exam_table_locked.release()
    first.join(30)
    assert again == {"status": "refused", "reason": "another backup is running"}
    assert results[0]["status"] == "succeeded"
    backup = Backup.objects.get()
    assert backup.attempts == 1
    assert files_in(backup_settings) == [backup.file_name]


def test_a_lock_left_by_a_lost_worker_does_not_block_backups_forever(settings: Settings) -> None:
    lost = services.begin(Backup.Trigger.ADMIN, "lost-task")
    with pytest.raises(BackupRefused):
        services.begin(Backup.Trigger.ADMIN, "next-task")
    settings.BACKUP_TIME_LIMIT_SECONDS = -services.STALE_GRACE.total_seconds() - 1  # the lost row is now stale

    taken = services.begin(Backup.Trigger.ADMIN, "next-task")

    lost.refresh_from_db()
    assert taken.status == Backup.Status.RUNNING
    assert lost.status == Backup.Status.RETRYING  # its task, delivered again, carries on with it


def test_the_same_scheduled_backup_sent_twice_runs_once(backup_settings: Path) -> None:
    first = backup_database.apply(args=("schedule",), task_id="beat-one").get()
    second = backup_database.apply(args=("schedule",), task_id="beat-two").get()
    again = backup_database.apply(args=("schedule",), task_id="beat-one").get()  # a duplicate delivery

    assert first["status"] == "succeeded"
    assert second["status"] == again["status"] == "refused"
    assert len(files_in(backup_settings)) == 1


def test_bad_task_arguments_fail_at_once() -> None:
    with pytest.raises(InvalidTaskArguments):
        backup_database.apply(args=("nightly",)).get()
    assert not Backup.objects.exists()


def test_restore_refuses_a_tampered_file_and_the_live_database(backup_settings: Path, scratch_database: str) -> None:
    call_command("backup_now")
    backup = Backup.objects.get()
    live = connection.settings_dict["NAME"]

    with pytest.raises(CommandError, match="is the live database: pass --force"):
        call_command("restore_backup", str(backup.pk), "--into", live)
    with (backup_settings / backup.file_name).open("r+b") as file:
        file.seek(100)
        file.write(b"tampered")
    with pytest.raises(CommandError, match="does not match its recorded sha256"):
        call_command("restore_backup", str(backup.pk), "--into", scratch_database)
    with pytest.raises(CommandError, match="no backup with id 999"):
        call_command("restore_backup", "999", "--into", scratch_database)
    with connect("postgres") as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch_database]).fetchone() is None


def test_restore_backup_refuses_a_target_no_database_or_file_can_be_named(db: None) -> None:
    for into in ["", "\udcff", "a\nb"]:
        with pytest.raises(CommandError, match="cannot name a database or a file"):
            call_command("restore_backup", "1", "--into", into)


def test_the_restore_drill_restores_the_newest_backup_compares_and_cleans_up(
    backup_settings: Path, slack_webhook: HTTPServer, celery_worker: object
) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("ok")
    make_exam("Drilled", questions=2)
    call_command("backup_now")
    make_exam("After the backup")  # the drill compares with the dump's snapshot, not with today's rows

    report = services.restore_drill()

    backup = Backup.objects.get()
    assert report["ok"] is True, report
    assert backup.drill_ok is True
    assert "rows match" in backup.drill_report
    with connect("postgres") as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname LIKE 'drillquiz_drill_%'").fetchone() is None
    wait_until(lambda: len(slack_webhook.log) >= 2, 10, "the Slack messages")
    titles = [message["title"] for message in slack_messages(slack_webhook)]
    assert sorted(titles) == ["Database backup finished", "Restore drill passed"]


def test_a_drill_given_out_again_while_one_runs_leaves_it_alone(backup_settings: Path) -> None:
    with services.running_here("drill"):  # as the first delivery holds it
        again = restore_drill.apply().get()
        with services.running_here("backup"):  # raises BackupRefused if a drill held backups up
            pass

    assert again == {"status": "refused", "reason": "another drill is running"}


def test_a_missing_or_mismatched_pg_dump_fails_with_one_clear_line(
    settings: Settings, backup_settings: Path, tmp_path: Path
) -> None:
    settings.BACKUP_PG_BIN_DIR = str(tmp_path / "bin")
    with pytest.raises(CommandError, match=r"^backup \d+ failed: pg_dump not found in .*/bin: install"):
        call_command("backup_now")

    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 16.4'\n")
    fake.chmod(0o755)
    with pytest.raises(CommandError, match="pg_dump is version 16 but the server is PostgreSQL 15"):
        call_command("backup_now")
    assert list(Backup.objects.values_list("status", "attempts")) == [("failed", 1), ("failed", 1)]
    assert files_in(backup_settings) == []
