from django.core.management.base import BaseCommand

from jobs.schedule import DEFAULT_SCHEDULE, install_default_schedule


class Command(BaseCommand):
    help = "Install the default periodic tasks (idempotent; never overwrites what an admin changed)."

    def handle(self, *args: object, **options: object) -> None:
        created = install_default_schedule()
        self.stdout.write(
            f"Periodic tasks: {len(created)} created, {len(DEFAULT_SCHEDULE) - len(created)} already there."
        )
