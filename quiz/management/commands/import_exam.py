from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quiz import exam_io


class Command(BaseCommand):
    help = "Import an exam from a JSON file (format: docs/exam-format.md). All or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            with file.open("rb") as opened:
                raw = opened.read(exam_io.max_file_bytes() + 1)  # parse() refuses a larger file
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            exam = exam_io.import_exam(exam_io.parse(raw))
        except exam_io.ExamFileError as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(f"Imported exam {exam.slug!r} (id {exam.pk}) with {exam.questions.count()} questions.")
