from django.core.management.base import BaseCommand, CommandError

from backup import services
from backup.errors import BackupError
from backup.models import Backup
from drillquiz import humanize


class Command(BaseCommand):
    help = "Back up the database now, in this process (no retries), and print the record."

    def handle(self, *args: object, **options: object) -> None:
        try:
            with services.running_here():
                backup = services.back_up(Backup.Trigger.COMMAND)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(backup.row_counts.values())
        self.stdout.write(
            f"backup {backup.pk} {backup.status}\n"
            f"  file:         {services.path_of(backup)}\n"
            f"  size:         {humanize.size(backup.size)} ({backup.size} bytes)\n"
            f"  sha256:       {backup.sha256}\n"
            f"  duration:     {humanize.duration(backup.duration)}\n"
            f"  server:       {backup.server_version}\n"
            f"  verification: {backup.verification}\n"
            f"  rows:         {rows} in {len(backup.row_counts)} tables"
        )
