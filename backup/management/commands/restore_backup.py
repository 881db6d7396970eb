from django.core.management.base import BaseCommand, CommandError, CommandParser

from backup import services
from backup.errors import BackupError
from backup.models import Backup


class Command(BaseCommand):
    help = "Restore a backup into a database (created if missing); a file path with SQLite."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_id", type=int, help="the backup's id (see Admin or backup_now)")
        parser.add_argument("--into", required=True, help="the database to restore into")
        parser.add_argument("--force", action="store_true", help="allow restoring over the live database")

    def handle(self, *args: object, backup_id: int, into: str, force: bool, **options: object) -> None:
        # Not printable: a control character, or a byte of the command line that is not UTF-8 (Python
        # keeps it as a lone surrogate, which the database driver cannot even send).
        if not into or not into.isprintable():
            raise CommandError(f"--into {into!r:.60} cannot name a database or a file")
        backup = Backup.objects.filter(pk=backup_id).first()
        if backup is None:
            raise CommandError(f"no backup with id {backup_id}")
        try:
            services.restore(backup, into, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored backup {backup.pk} ({backup.file_name}) into {into}")
