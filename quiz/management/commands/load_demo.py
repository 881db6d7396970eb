import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from quiz import exam_io, translatable
from quiz.models import Exam
from translations import storage

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
# Fingerprints (of export_exam) of the demo exams as earlier versions loaded them: an exam still
# exactly like one of these is replaced by the current file; one an editor changed since is left alone.
EARLIER_DEMOS = frozenset(
    {
        # The three one-language exams of commit aaf857a, shown pseudo-translated.
        "466032505040ab07584f425496879437e2e6e7cbeccd071f2710cea46fa38095",
        "1a4ad1ef071a76cd0bafa3dfe166bedbdf4757e8b5a4e81f38ba5061156913fb",
        "9f3269599bb3da019cd6aac270c2218276fd3a09949b132d7cf0af23ad939377",
    }
)


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def replace(exam: Exam, data: dict[str, Any]) -> Exam:
    """The exam deleted with its stored translations (and attempts), and the file imported in its place."""
    storage.delete_for(translatable.objects_of(exam))
    exam.delete()
    return exam_io.import_exam(data)


class Command(BaseCommand):
    help = (
        "Load the demo exams (quiz/demo/*.json) with their Korean and English texts; an exam loaded by an "
        "earlier version is brought up to date, one an editor changed is left as it is."
    )

    def handle(self, *args: object, **options: object) -> None:
        for path in sorted(DEMO_DIR.glob("*.json")):
            data = exam_io.parse(path.read_bytes())
            exam = Exam.objects.filter(slug=data["slug"]).first()
            if exam is None:
                exam = exam_io.import_exam(data)
                self.stdout.write(f"Loaded demo exam {exam.slug!r} ({exam.questions.count()} questions).")
                continue
            loaded = fingerprint(exam_io.export_exam(exam))
            if loaded == fingerprint(data):
                self.stdout.write(f"Demo exam {exam.slug!r} is already there.")
            elif loaded in EARLIER_DEMOS:
                exam = replace(exam, data)
                self.stdout.write(f"Updated demo exam {exam.slug!r} ({exam.questions.count()} questions).")
            else:
                self.stdout.write(f"Demo exam {exam.slug!r} was changed since it was loaded; left as it is.")
