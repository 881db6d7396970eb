from pathlib import Path

from django.core.management.base import BaseCommand

from quiz import exam_io
from quiz.models import Exam

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo exams (quiz/demo/*.json); exams already present are left as they are."

    def handle(self, *args: object, **options: object) -> None:
        for path in sorted(DEMO_DIR.glob("*.json")):
            data = exam_io.parse(path.read_bytes())
            if Exam.objects.filter(slug=data["slug"]).exists():
                self.stdout.write(f"Demo exam {data['slug']!r} is already there.")
                continue
            exam = exam_io.import_exam(data)
            self.stdout.write(f"Loaded demo exam {exam.slug!r} ({exam.questions.count()} questions).")
