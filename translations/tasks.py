from typing import Any

from celery import Task, shared_task
from django.conf import settings

from drillquiz.languages import language_codes
from jobs.retry import InvalidTaskArguments, retry_with_backoff
from translations import backfill, storage
from translations.providers import ProviderError


# Named as when they lived in quiz.tasks: outbox rows and queued messages of a running deployment carry that name.
@shared_task(name="quiz.tasks.batch_save_translation_results", soft_time_limit=60, time_limit=90)
def batch_save_translation_results(language: str, provider: str, entries: list[Any]) -> int:
    """Store the machine translations a page showed (many objects); returns how many were written."""
    provider = storage.parse_provider(provider)
    return storage.save_machine_translations(language, provider, storage.parse_entries(entries, language))


@shared_task(name="quiz.tasks.translate_missing_batch", bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def translate_missing_batch(
    self: Task[Any, Any], source_language: str, language: str, keys: list[Any]
) -> dict[str, int]:
    """Backfill: translate and store one batch of missing or stale fields."""
    if source_language not in language_codes() or language not in language_codes():
        raise InvalidTaskArguments(f"unknown language in {source_language!r:.20} -> {language!r:.20}")
    parsed = backfill.parse_keys(keys)
    try:
        return backfill.translate_batch(source_language, language, parsed)
    except ProviderError as error:
        raise retry_with_backoff(self, error, settings.TRANSLATION_RETRY_BASE_SECONDS) from None
