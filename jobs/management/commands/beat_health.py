import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Exit 0 if celery beat ticked recently (its liveness probe), non-zero with one line if not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=float, default=60, help="seconds since the last tick (default 60)")

    def handle(self, *args: object, max_age: float, **options: object) -> None:
        try:
            age = time.time() - settings.BEAT_HEARTBEAT_FILE.stat().st_mtime
        except FileNotFoundError:
            raise CommandError(f"beat has not ticked: no {settings.BEAT_HEARTBEAT_FILE}") from None
        if age > max_age:
            raise CommandError(f"beat last ticked {age:.0f} s ago (more than {max_age:g} s)")
        self.stdout.write(f"beat ticked {age:.1f} s ago")
