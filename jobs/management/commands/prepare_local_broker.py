from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Fanout exchanges whose bindings belong to processes that are gone once `make run` restarts:
# a stopped Flower's event queue or a dead worker's mailbox would keep collecting messages.
STALE_EXCHANGES = ("celeryev", "celery.pidbox", "reply.celery.pidbox")
STALE_MESSAGE_QUEUES = (".celeryev.", ".pidbox.msg")


class Command(BaseCommand):
    help = "Prepare kombu's filesystem broker folders for a fresh start of all local processes."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
            raise CommandError("CELERY_BROKER_URL is not filesystem://; nothing to prepare.")
        options_ = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        queue_dir = Path(options_["data_folder_in"])
        control_dir = Path(options_["control_folder"])
        for folder in (queue_dir, Path(options_["data_folder_out"]), Path(options_["processed_folder"])):
            folder.mkdir(parents=True, exist_ok=True)
        control_dir.mkdir(parents=True, exist_ok=True)

        # kombu creates a missing exchange file by truncating it before locking, so a process
        # starting at the same moment can read it empty; an existing file is updated under a lock.
        task_exchanges = [queue.exchange.name for queue in settings.CELERY_TASK_QUEUES]
        for exchange in (*STALE_EXCHANGES, *task_exchanges):
            table = control_dir / f"{exchange}.exchange"
            if exchange in STALE_EXCHANGES or not table.exists():
                table.write_text("[]")

        removed = 0
        for message in queue_dir.iterdir():
            if any(marker in message.name for marker in STALE_MESSAGE_QUEUES):
                message.unlink()
                removed += 1
        self.stdout.write(f"Local broker ready in {queue_dir} ({removed} stale event messages removed).")
