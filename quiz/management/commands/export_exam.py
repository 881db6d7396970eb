import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from quiz import exam_io
from quiz.models import Exam


class Command(BaseCommand):
    help = "Print an exam as a JSON file (format: docs/exam-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("exam", help="the exam's id or slug")

    def handle(self, *args: object, exam: str, **options: object) -> None:
        match = Q(slug=exam) | Q(pk=int(exam)) if exam.isdigit() else Q(slug=exam)
        found = Exam.objects.filter(match).first()
        if found is None:
            raise CommandError(f"no exam with id or slug {exam!r}")
        self.stdout.write(json.dumps(exam_io.export_exam(found), ensure_ascii=False, indent=2))
