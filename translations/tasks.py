from typing import Any

from celery import Task, shared_task
from django.conf import settings

from drillquiz.payloads import InvalidTaskArguments, LanguageCode
from jobs.retry import retry_with_backoff
from translations import backfill, storage
from translations.payloads import Entries, Keys, ProviderName
from translations.providers import ProviderError


# Named as when they lived in quiz.tasks: outbox rows and queued messages of a running deployment carry that name.
@shared_task(name="quiz.tasks.batch_save_translation_results", pydantic=True, soft_time_limit=60, time_limit=90)
def batch_save_translation_results(language: LanguageCode, provider: ProviderName, entries: Entries) -> int:
    """Store the machine translations a page showed (many objects); returns how many were written."""
    try:
        return storage.save_machine_translations(language.root, provider.root, entries.root)
    except storage.SourceGone as gone:
        raise InvalidTaskArguments(str(gone)) from None


@shared_task(
    name="quiz.tasks.translate_missing_batch",
    bind=True,
    pydantic=True,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def translate_missing_batch(
    self: Task[Any, Any], source_language: LanguageCode, language: LanguageCode, keys: Keys
) -> dict[str, int]:
    """Backfill: translate and store one batch of missing or stale fields."""
    try:
        return backfill.translate_batch(source_language.root, language.root, keys.root)
    except storage.SourceGone as gone:
        raise InvalidTaskArguments(str(gone)) from None
    except ProviderError as error:
        raise retry_with_backoff(self, error, settings.TRANSLATION_RETRY_BASE_SECONDS) from None
