from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands import diffsettings

from drillquiz.log import redact


class Command(diffsettings.Command):
    help = "Displays differences between the current settings and Django's defaults, every secret hidden."

    def handle(self, **options: Any) -> str:
        try:
            shown = super().handle(**options)
        except ImportError as error:  # --default names a module that is not there: Django's own shows a traceback
            raise CommandError(f"no settings module {options['default'][:80]!r}: {error.msg[:80]}") from None
        # Django's prints SECRET_KEY, the database password and every URL with its password whole.
        return redact(shown)
