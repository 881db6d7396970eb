"""The site's languages (settings.LANGUAGES), read when asked, so a test or a new language needs no migration."""

from django.conf import settings


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]
