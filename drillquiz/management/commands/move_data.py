from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drillquiz.move_data import MoveRefused, move_data


class Command(BaseCommand):
    help = (
        "Moves every row of this site's database (the SQLite file of `make run`, say) into an empty "
        "PostgreSQL database, which gets this code's schema first; prints the rows per table on both sides."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, metavar="URL", help="the target, postgres://user@host:port/name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            moved = move_data(options["to"])
        except MoveRefused as refused:
            raise CommandError(str(refused)) from None
        width = max(len(each.table) for each in moved)
        self.stdout.write(f"{'table':<{width}}  {'source':>8}  {'target':>8}")
        for each in moved:
            self.stdout.write(f"{each.table:<{width}}  {each.source_rows:>8}  {each.target_rows:>8}")
        total = sum(each.target_rows for each in moved)
        self.stdout.write(self.style.SUCCESS(f"Moved {total} rows in {len(moved)} tables; every count matches."))
