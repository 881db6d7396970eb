import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Give the local Flower a login once (var/flowerconfig.py, mode 0600), printing its password that one time."

    def handle(self, *args: object, **options: object) -> None:
        path = settings.VAR_DIR / "flowerconfig.py"
        if path.exists():
            self.stdout.write(f"Flower login: admin (password unchanged, in {path}; delete the file for a new one)")
            return
        password = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with mode 0600 in one step: others on a shared machine never see the password.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write("# Flower's options (celery flower --conf=...), made by manage.py create_local_flower_login.\n")
            file.write(f"basic_auth = [{f'admin:{password}'!r}]\n")
        self.stdout.write(f"Flower login: admin  password: {password}  (shown once; kept in {path})")
