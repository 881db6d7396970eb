import json
import time
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_celery_results.models import TaskResult
from tqdm import tqdm

from drillquiz.languages import language_codes
from jobs.services import enqueue
from quiz import translatable
from quiz.models import Exam
from translations import backfill

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Translate every missing or stale text through the queue, in batches, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--language", help="only this target language")
        parser.add_argument("--exam", type=int, help="only this exam (id)")
        parser.add_argument("--dry-run", action="store_true", help="count the work, enqueue nothing")

    def handle(self, *args: object, language: str | None, exam: int | None, dry_run: bool, **options: object) -> None:
        if language is not None and language not in language_codes():
            raise CommandError(f"unknown language {language!r:.20}; choose one of {', '.join(language_codes())}")
        exams = Exam.objects.order_by("pk")
        if exam is not None:
            exams = exams.filter(pk=exam)
            if not exams.exists():
                raise CommandError(f"no exam with id {exam}")
        plans = translatable.plan(exams, language)
        todo = sum(len(item.todo) for item in plans)
        human = sum(item.counts["human, stale"] for item in plans)
        self.stdout.write(f"{todo} texts to translate, {human} stale human translations left to editors.")
        if dry_run or not todo:
            return
        waiting = {}
        for source_language, target, keys in backfill.batches(plans):
            if backfill.claim_batch(source_language, target, keys):
                task_id = str(uuid.uuid4())
                enqueue("quiz.tasks.translate_missing_batch", source_language, target, keys, task_id=task_id)
                waiting[task_id] = len(keys)
        queued = sum(waiting.values())
        if queued < todo:
            self.stdout.write(f"{todo - queued} texts are already queued by an earlier run.")
        try:
            translated, skipped, failed = self.follow(waiting)
        except KeyboardInterrupt:
            self.stdout.write("\nInterrupted; queued batches still run. Run the command again for what is left.")
            raise SystemExit(130) from None
        self.stdout.write(f"Done: {translated} translated, {skipped} skipped (human), {failed} failed.")
        if failed:
            raise CommandError(f"{failed} texts failed; see the failed tasks in Admin and run the command again")

    def follow(self, waiting: dict[str, int]) -> tuple[int, int, int]:
        """Show progress until every batch is done; (translated, skipped human, failed) texts."""
        translated = skipped = failed = 0
        with tqdm(total=sum(waiting.values()), unit="text", file=self.stdout) as bar:
            while waiting:
                for result in TaskResult.objects.filter(task_id__in=waiting, status__in=["SUCCESS", "FAILURE"]):
                    size = waiting.pop(result.task_id)
                    if result.status == "SUCCESS":
                        counts = json.loads(result.result or "{}")
                        translated += counts.get("translated", 0)
                        skipped += counts.get("skipped_human", 0)
                    else:
                        failed += size
                    bar.update(size)
                if waiting:
                    time.sleep(POLL_SECONDS)
        return translated, skipped, failed
