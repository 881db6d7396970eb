"""Backing up, verifying, pruning and restoring the database. The tasks, commands and Admin call these."""

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from backup.engine import Engine
from backup.errors import BackupError, BackupFailed, BackupMisconfigured, BackupRefused
from backup.models import Backup
from backup.postgres import Postgres
from backup.sqlite import Sqlite
from drillquiz import humanize
from notifications.models import Level
from notifications.services import alert_slack, notify_staff

logger = logging.getLogger(__name__)

FILE_PREFIX = "drillquiz-"
# A running row is taken to belong to a lost worker once it has not moved for this long past the limit.
STALE_GRACE = timedelta(minutes=2)


def engine() -> Engine:
    """The database to back up: BACKUP_DATABASE_URL if set (a read-only role, say), else the site's."""
    if settings.BACKUP_DATABASE_URL:
        settings_dict = environ.Env.db_url_config(settings.BACKUP_DATABASE_URL)
    else:
        settings_dict = connections["default"].settings_dict
    if "postgresql" in settings_dict["ENGINE"]:
        return Postgres(settings_dict, settings.BACKUP_PG_BIN_DIR)
    if "sqlite3" in settings_dict["ENGINE"]:
        return Sqlite(settings_dict)
    raise BackupMisconfigured(f"cannot back up a {settings_dict['ENGINE']} database")


def backup_dir() -> Path:
    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


# -- one backup, from start to record --------------------------------------------------------------


@contextmanager
def running_here(job: str = "backup") -> Iterator[None]:
    """Hold the backup folder's lock for `job` ("backup" or "drill") for the length of one attempt,
    or raise BackupRefused if a live process holds it. Redis gives a reconnecting worker's
    unacknowledged tasks out again, so the same task can arrive while it still runs; a running
    Backup row alone cannot tell that from a worker that died. The kernel drops the lock with its
    process."""
    try:
        lock = (backup_dir() / f".{job}.lock").open("w")
    except OSError:  # no usable folder: the attempt fails on it too, and that is recorded and reported
        yield
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupRefused(f"another {job} is running") from None
        yield


def begin(trigger: str, task_id: str = "") -> Backup:
    """Take the backup lock: the Backup row of this run, now running. Raises BackupRefused when
    another backup runs, when this task already finished (a duplicate delivery), or when a scheduled
    backup already ran within BACKUP_SCHEDULE_WINDOW_SECONDS (a second beat sent it too)."""
    now = timezone.now()
    abandon_stale(now)
    backup = Backup.objects.filter(task_id=task_id).first() if task_id else None
    if backup is not None and backup.status in (Backup.Status.SUCCEEDED, Backup.Status.FAILED):
        raise BackupRefused(f"backup {backup.pk} of this task already {backup.status}")
    if backup is None and trigger == Backup.Trigger.SCHEDULE:
        window = now - timedelta(seconds=settings.BACKUP_SCHEDULE_WINDOW_SECONDS)
        earlier = Backup.objects.filter(trigger=trigger, started__gte=window).first()
        if earlier is not None:
            raise BackupRefused(f"scheduled backup {earlier.pk} already ran at {earlier.started:%H:%M:%S}")
    try:
        with transaction.atomic():
            if backup is None:
                return Backup.objects.create(trigger=trigger, task_id=task_id, started=now, engine=engine().name)
            backup.status = Backup.Status.RUNNING
            backup.attempts += 1
            backup.save(update_fields=["status", "attempts", "updated"])
            return backup
    except IntegrityError:
        running = Backup.objects.filter(status=Backup.Status.RUNNING).first()
        reason = f"backup {running.pk if running else '?'} is running"
        if backup is not None:  # a retry that met a newer backup: that one stands in for it
            Backup.objects.filter(pk=backup.pk).update(status=Backup.Status.FAILED, finished=now, error=reason)
        raise BackupRefused(reason) from None


def back_up(trigger: str, task_id: str = "", may_retry: bool = False) -> Backup:
    """One attempt at a backup, begun, performed and recorded (call it inside running_here()).

    Raises BackupFailed on any failure: marked retrying if may_retry and a retry can help (not a
    misconfiguration), else failed and reported.
    """
    backup = begin(trigger, task_id)
    try:
        return perform(backup)
    except Exception as error:  # noqa: BLE001 - every failure is recorded
        message = error_message(error)
        if may_retry and not isinstance(error, BackupMisconfigured):
            mark_retrying(backup, message)
            raise BackupFailed(backup.pk, message, retrying=True) from None
        fail(backup, message)
        raise BackupFailed(backup.pk, message, retrying=False) from None


def abandon_stale(now: datetime) -> None:
    """Release the lock of a worker that died mid-backup: its row cannot still be running past the limit."""
    limit = timedelta(seconds=settings.BACKUP_TIME_LIMIT_SECONDS) + STALE_GRACE
    stale = Backup.objects.filter(status=Backup.Status.RUNNING, updated__lt=now - limit)
    for backup in stale:
        logger.warning("backup %s was left running by a lost worker; its lock is released", backup.pk)
    stale.update(status=Backup.Status.RETRYING, error="the worker running it was lost")


def perform(backup: Backup) -> Backup:
    """Dump, fsync, verify, checksum and rename into place; record the result. On any failure the
    partial file is removed and the exception raised."""
    db = engine()
    deadline = time.monotonic() + settings.BACKUP_TIME_LIMIT_SECONDS
    name = f"{FILE_PREFIX}{backup.started:%Y%m%dT%H%M%SZ}-{backup.pk}{db.suffix}"
    final = backup_dir() / name
    partial = final.with_name(f".{name}.partial")
    partial.unlink(missing_ok=True)  # left by this backup's earlier attempt on a worker that died
    try:
        version = db.server_version()
        db.check_tools(version)
        counts = db.dump(partial, deadline - time.monotonic())
        fsync(partial)
        verification = db.verify(partial, deadline - time.monotonic())
        digest = sha256(partial)
        partial.rename(final)
        fsync(final.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    backup.status = Backup.Status.SUCCEEDED
    backup.finished = timezone.now()
    backup.server_version = version
    backup.file_name = name
    backup.size = final.stat().st_size
    backup.sha256 = digest
    backup.verified = True
    backup.verification = verification
    backup.row_counts = counts
    backup.error = ""
    backup.save()
    report_success(backup)
    return backup


def mark_retrying(backup: Backup, error: str) -> None:
    backup.status = Backup.Status.RETRYING
    backup.error = error
    backup.save(update_fields=["status", "error", "updated"])
    logger.warning("backup %s attempt %d failed, retrying: %s", backup.pk, backup.attempts, error)


def fail(backup: Backup, error: str) -> None:
    """The final failure: recorded, and told to Slack and staff once."""
    backup.status = Backup.Status.FAILED
    backup.finished = timezone.now()
    backup.error = error
    backup.save(update_fields=["status", "finished", "error", "updated"])
    logger.error("backup %s failed after %d attempt(s): %s", backup.pk, backup.attempts, error)
    title = "Database backup failed"
    alert_slack(Level.ERROR, title, fields={"backup": str(backup.pk), "attempts": str(backup.attempts), "error": error})
    notify_staff(Level.ERROR, title, body=error, link=admin_link(backup))


def report_success(backup: Backup) -> None:
    duration, size = humanize.duration(backup.duration), humanize.size(backup.size)
    logger.info("backup %s written: %s, %s, %s", backup.pk, backup.file_name, size, duration)
    fields = {"file": backup.file_name, "size": size, "duration": duration}
    alert_slack(Level.SUCCESS, "Database backup finished", fields=fields)
    notify_staff(Level.SUCCESS, "Database backup finished", body=f"{backup.file_name}, {size}", link=admin_link(backup))


def admin_link(backup: Backup) -> str:
    return f"/admin/backup/backup/{backup.pk}/change/"


def error_message(error: BaseException) -> str:
    return str(error) if isinstance(error, BackupError) else f"{type(error).__name__}: {error}"


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def path_of(backup: Backup) -> Path:
    return Path(settings.BACKUP_DIR) / backup.file_name


# -- restoring ------------------------------------------------------------------------------------


def restore(backup: Backup, into: str, force: bool = False) -> None:
    """Restore a backup into database `into` (a file path with SQLite). Refuses the live database
    without force, and a file whose checksum is not the recorded one."""
    db = engine()
    if backup.status != Backup.Status.SUCCEEDED:
        raise BackupError(f"backup {backup.pk} is {backup.status}, there is nothing to restore")
    if into == db.live_database() and not force:
        raise BackupError(f"{into} is the live database: pass --force to overwrite it")
    path = path_of(backup)
    if not path.exists():
        raise BackupError(f"the file of backup {backup.pk} is missing: {path}")
    if sha256(path) != backup.sha256:
        raise BackupError(f"the file of backup {backup.pk} does not match its recorded sha256: refusing it")
    db.restore(path, into, settings.BACKUP_TIME_LIMIT_SECONDS)


def restore_drill() -> dict[str, Any]:
    """Restore the newest backup into a scratch database, compare its rows per table with the
    counts taken at the dump's snapshot, drop the scratch database, and report."""
    backup = Backup.objects.filter(status=Backup.Status.SUCCEEDED).first()
    if backup is None:
        raise BackupError("no backup to drill")
    db = engine()
    scratch = db.scratch_database(f"drillquiz_drill_{backup.pk}", backup_dir())
    started = time.monotonic()
    try:
        db.drop_database(scratch)
        restore(backup, scratch)
        restored = db.row_counts(scratch)
    except BackupError as error:
        ok, report = False, f"restore failed: {error}"
    else:
        differences = {
            table: (backup.row_counts.get(table), restored.get(table))
            for table in sorted(set(backup.row_counts) | set(restored))
            if backup.row_counts.get(table) != restored.get(table)
        }
        ok = not differences
        rows = sum(restored.values())
        report = f"{len(restored)} tables, {rows} rows match" if ok else f"row counts differ: {differences}"
    finally:
        db.drop_database(scratch)
    elapsed = f"{time.monotonic() - started:.1f} s"
    backup.drilled, backup.drill_ok, backup.drill_report = timezone.now(), ok, report
    backup.save(update_fields=["drilled", "drill_ok", "drill_report", "updated"])
    level, title = (Level.SUCCESS, "Restore drill passed") if ok else (Level.ERROR, "Restore drill FAILED")
    alert_slack(level, title, text=report, fields={"file": backup.file_name, "took": elapsed})
    notify_staff(level, title, body=report, link=admin_link(backup))
    return {"backup": backup.pk, "ok": ok, "report": report}


def last_outcomes() -> dict[str, Any]:
    """When the newest successful backup finished, and when the last restore drill ran and whether it
    passed (None for what never happened). Two queries over a table that retention keeps to a few
    dozen rows."""
    newest = Backup.objects.filter(status=Backup.Status.SUCCEEDED, finished__isnull=False).order_by("-finished")
    drill = Backup.objects.filter(drilled__isnull=False).order_by("-drilled").values_list("drilled", "drill_ok")
    drilled, drill_ok = drill.first() or (None, None)
    return {
        "succeeded": newest.values_list("finished", flat=True).first(),
        "drilled": drilled,
        "drill_ok": drill_ok,
    }


# -- retention --------------------------------------------------------------------------------------


def backups_to_keep(backups: list[Backup], daily: int, weekly: int) -> set[int]:
    """The newest backup of each of the last `daily` days and of each of the last `weekly` ISO
    weeks that have one (days and weeks in the site's time zone). Backups are newest first."""
    days: dict[Any, int] = {}
    weeks: dict[Any, int] = {}
    for backup in backups:
        local = timezone.localtime(backup.started)
        if len(days) < daily:
            days.setdefault(local.date(), backup.pk)
        if len(weeks) < weekly:
            weeks.setdefault(local.isocalendar()[:2], backup.pk)
    return set(days.values()) | set(weeks.values())


def prune() -> dict[str, list[str]]:
    """Delete the backups retention does not keep, file and record together; report (never delete)
    files without a record and records without a file."""
    succeeded = list(Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("-started"))
    keep = backups_to_keep(succeeded, settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY)
    deleted = []
    for backup in succeeded:
        if backup.pk not in keep:
            path_of(backup).unlink(missing_ok=True)
            backup.delete()
            deleted.append(backup.file_name)
    # Failed attempts have no file; their records go once they are older than the daily window.
    cutoff = timezone.now() - timedelta(days=settings.BACKUP_KEEP_DAILY)
    Backup.objects.filter(status=Backup.Status.FAILED, started__lt=cutoff).delete()
    recorded = set(Backup.objects.exclude(file_name="").values_list("file_name", flat=True))
    on_disk = {path.name for path in backup_dir().glob(f"{FILE_PREFIX}*")}
    report = {
        "deleted": deleted,
        "files_without_record": sorted(on_disk - recorded),
        "records_without_file": sorted(recorded - on_disk),
    }
    if report["files_without_record"] or report["records_without_file"]:
        text = (
            f"Files without a record: {', '.join(report['files_without_record']) or 'none'}. "
            f"Records without a file: {', '.join(report['records_without_file']) or 'none'}."
        )
        logger.warning("backup pruning found strays: %s", text)
        alert_slack(Level.WARNING, "Backups out of step with their records", text=text)
        notify_staff(Level.WARNING, "Backups out of step with their records", body=text)
    return report
