"""The default periodic tasks are installed once and never overwrite what an admin changed."""

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from jobs.schedule import DEFAULT_SCHEDULE


def test_setup_installs_the_hourly_reminders_once_and_keeps_admin_changes(db: None) -> None:
    call_command("setup_periodic_tasks")
    reminders = PeriodicTask.objects.get(task="quiz.tasks.send_due_review_reminders")
    assert (reminders.crontab.minute, reminders.crontab.hour, str(reminders.crontab.timezone)) == (
        "0",
        "*",
        "Asia/Seoul",
    )
    reminders.enabled = False
    reminders.crontab.minute = "15"
    reminders.crontab.save()
    reminders.save()

    call_command("setup_periodic_tasks")

    reminders.refresh_from_db()
    assert PeriodicTask.objects.filter(name__in=[entry.name for entry in DEFAULT_SCHEDULE]).count() == len(
        DEFAULT_SCHEDULE
    )
    assert reminders.enabled is False
    assert reminders.crontab.minute == "15"


def test_setup_installs_the_daily_backup_at_three_in_seoul_with_pruning_and_the_weekly_drill(db: None) -> None:
    call_command("setup_periodic_tasks")

    def when(task: str) -> tuple[str, str, str, str]:
        crontab = PeriodicTask.objects.get(task=task).crontab
        return crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)

    assert when("backup.tasks.backup_database") == ("0", "3", "*", "Asia/Seoul")
    assert when("backup.tasks.prune_backups") == ("0", "4", "*", "Asia/Seoul")
    assert when("backup.tasks.restore_drill") == ("0", "5", "0", "Asia/Seoul")
