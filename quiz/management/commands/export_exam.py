import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from drillquiz.ids import plain_id
from quiz import exam_io
from quiz.models import Exam


class Command(BaseCommand):
    help = "Print an exam as a JSON file (format: docs/exam-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("exam", help="the exam's id or slug")

    def handle(self, *args: object, exam: str, **options: object) -> None:
        if (exam_id := plain_id(exam)) is not None:
            found = Exam.objects.filter(Q(slug=exam) | Q(pk=exam_id)).first()
        else:
            # Only a slug can be one; the database cannot even compare some text (a byte that is not UTF-8).
            found = Exam.objects.filter(slug=exam).first() if exam_io.SLUG.fullmatch(exam) else None
        if found is None:
            raise CommandError(f"no exam with id or slug {exam!r:.60}")
        self.stdout.write(json.dumps(exam_io.export_exam(found), ensure_ascii=False, indent=2))
