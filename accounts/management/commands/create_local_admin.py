import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User


class Command(BaseCommand):
    help = "Create the local admin user once, printing its generated password that one time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, username: str, **options: object) -> None:
        try:
            # The model field's own checks: not empty, at most 150 characters, letters, digits and @.+-_.
            User._meta.get_field("username").clean(username, None)
        except ValidationError as error:
            raise CommandError(f"invalid username {username!r:.60}: {' '.join(error.messages)}") from None
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Admin user: {username} (password unchanged; "
                f"set a new one with: python manage.py changepassword {username})"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"Admin user: {username}  password: {password}  (shown once; keep it)")
