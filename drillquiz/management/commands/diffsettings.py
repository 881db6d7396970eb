from typing import Any

from django.core.management.commands import diffsettings

from drillquiz.log import redact


class Command(diffsettings.Command):
    help = "Displays differences between the current settings and Django's defaults, every secret hidden."

    def handle(self, **options: Any) -> str:
        # Django's prints SECRET_KEY, the database password and every URL with its password whole.
        return redact(super().handle(**options))
