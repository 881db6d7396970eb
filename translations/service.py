"""Showing content in the reader's language: stored translations where fresh, the rest translated in one
batched provider call, shown at once, cached, and saved in the background after the response."""

import hashlib
import logging
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext as _

from drillquiz.once import CACHE_DOWN, first_time_within
from jobs.services import enqueue
from translations import payloads, providers, registry, storage
from translations.models import Translation

logger = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600  # long enough for the background save to land many times over
SAVE_WINDOW_SECONDS = 300  # many viewers of one untranslated page enqueue its save once in this window


@dataclass
class PageTranslation:
    """What a page says about its translated content."""

    language: str
    label: str = ""  # the provider's label, when machine-translated text is shown
    notice: str = ""  # set when the provider failed and source text is shown instead
    pending: list[storage.Entry] = field(default_factory=list)


@dataclass
class Wanted:
    obj: models.Model
    field: str
    source_language: str
    source: str

    @property
    def key(self) -> storage.Key:
        return (registry.label(type(self.obj)), self.obj.pk, self.field)


def cache_key(provider: str, source_language: str, language: str, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"translation:{provider}:{source_language}:{language}:{digest}"


def localize(language: str, groups: Iterable[tuple[str, Iterable[models.Model]]]) -> PageTranslation:
    """Show the objects of each (source language, objects) group in `language`.

    Replaces their registered fields in memory with the translation: callers must not save them.
    """
    page = PageTranslation(language)
    wanted = [
        Wanted(obj, name, source_language, getattr(obj, name))
        for source_language, objects in groups
        if source_language != language
        for obj in objects
        for name in registry.FIELDS[type(obj)]
        if getattr(obj, name)
    ]
    if not wanted:
        return page
    provider = providers.configured()
    stored = storage.stored_for({item.obj for item in wanted}, language)
    missing = []
    for item in wanted:
        row = stored.get(item.key)
        # A human translation is shown even when its source moved on: editors own it, Admin flags it stale.
        human = row is not None and row.origin == Translation.Origin.HUMAN
        if row is not None and (human or row.source_hash == registry.source_hash(item.source)):
            setattr(item.obj, item.field, row.text)
            page.label = page.label or ("" if human else str(provider.label))
        else:
            missing.append(item)
    if missing:
        translate_missing(page, provider, missing)
    if page.pending:
        schedule_save(page, provider.name)
    return page


def translate_missing(page: PageTranslation, provider: providers.Provider, missing: list[Wanted]) -> None:
    """Fill missing texts from the cache, then from ONE provider call per source language."""
    keys = {item.key: cache_key(provider.name, item.source_language, page.language, item.source) for item in missing}
    try:
        cached = cache.get_many(list(set(keys.values())))
    except CACHE_DOWN as error:
        logger.warning("translation cache unavailable (%s); asking the provider", type(error).__name__)
        cached = {}
    by_source_language: dict[str, list[Wanted]] = {}
    for item in missing:
        if keys[item.key] in cached:
            show(page, provider, item, cached[keys[item.key]])
        else:
            by_source_language.setdefault(item.source_language, []).append(item)
    for source_language, items in by_source_language.items():
        texts = list(dict.fromkeys(item.source for item in items))  # each distinct text once
        try:
            answers = providers.translate(provider, texts, source_language, page.language)
            translated = dict(zip(texts, answers, strict=True))
        except providers.ProviderError as error:
            logger.warning("translation to %s unavailable, showing source text: %s", page.language, error)
            page.notice = _(
                "Machine translation is not available right now; some text is shown in its original language."
            )
            continue
        with suppress(*CACHE_DOWN):  # the page has its text; only the next viewer's shortcut is lost
            cache.set_many(
                {
                    cache_key(provider.name, source_language, page.language, text): result
                    for text, result in translated.items()
                },
                CACHE_SECONDS,
            )
        for item in items:
            show(page, provider, item, translated[item.source])


def show(page: PageTranslation, provider: providers.Provider, item: Wanted, text: str) -> None:
    setattr(item.obj, item.field, text)
    page.label = str(provider.label)
    page.pending.append(storage.Entry(*item.key, text=text, source_hash=registry.source_hash(item.source)))


def schedule_save(page: PageTranslation, provider: str) -> None:
    """Enqueue the save after commit, once per identical set of texts within SAVE_WINDOW_SECONDS."""
    fingerprint = hashlib.sha256(
        repr(sorted((entry.model, entry.object_id, entry.field, entry.source_hash) for entry in page.pending)).encode()
    ).hexdigest()
    if first_time_within(f"translation-save:{page.language}:{fingerprint}", SAVE_WINDOW_SECONDS):
        enqueue(
            "quiz.tasks.batch_save_translation_results",
            page.language,
            provider,
            payloads.entries_json(page.pending),
        )
