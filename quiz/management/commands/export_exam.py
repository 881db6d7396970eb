import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from quiz import exam_io
from quiz.models import Exam

MAX_ID_DIGITS = 19  # a bigint


class Command(BaseCommand):
    help = "Print an exam as a JSON file (format: docs/exam-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("exam", help="the exam's id or slug")

    def handle(self, *args: object, exam: str, **options: object) -> None:
        # Only a plain number can be an id: "²" passes str.isdigit() and fails int(), as do 5000 digits.
        if exam.isascii() and exam.isdigit() and len(exam) <= MAX_ID_DIGITS:
            found = Exam.objects.filter(Q(slug=exam) | Q(pk=int(exam))).first()
        else:
            # Only a slug can be one; the database cannot even compare some text (a byte that is not UTF-8).
            found = Exam.objects.filter(slug=exam).first() if exam_io.SLUG.fullmatch(exam) else None
        if found is None:
            raise CommandError(f"no exam with id or slug {exam!r:.60}")
        self.stdout.write(json.dumps(exam_io.export_exam(found), ensure_ascii=False, indent=2))
