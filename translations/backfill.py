"""Finding every missing or stale translation, and translating it through the queue in batches."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db import models

from drillquiz.chunks import chunked
from drillquiz.once import first_time_within
from jobs.services import enqueue
from translations import providers, registry, storage
from translations.models import Translation

BATCH_SIZE = 50
KeyJSON = list[str | int]  # a storage.Key as a task argument carries it: [model, id, field]


@dataclass
class Plan:
    """Work for one object and its parts (an exam and its questions) in one language: keys to
    translate, and the counts for editors."""

    subject: models.Model
    source_language: str
    language: str
    todo: list[storage.Key] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # fresh, stale, missing, human-stale


def plan_objects(
    subject: models.Model, objects: list[models.Model], source_language: str, languages: list[str]
) -> list[Plan]:
    """What is fresh, stale or missing of these objects for each target language (one query a language)."""
    plans = []
    for language in languages:
        if language == source_language:
            continue
        plan = Plan(subject, source_language, language)
        stored = storage.stored_for(objects, language)
        for obj in objects:
            for name in registry.FIELDS[type(obj)]:
                source = getattr(obj, name)
                if not source:
                    continue
                key = (registry.label(type(obj)), obj.pk, name)
                row = stored.get(key)
                if row is not None and row.source_hash == registry.source_hash(source):
                    plan.counts["fresh"] += 1
                elif row is not None and row.origin == Translation.Origin.HUMAN:
                    plan.counts["human, stale"] += 1  # an editor's to update; never machine-translated over
                else:
                    plan.counts["stale" if row is not None else "missing"] += 1
                    plan.todo.append(key)
        plans.append(plan)
    return plans


def batches(plans: list[Plan]) -> list[tuple[str, str, list[KeyJSON]]]:
    """(source language, target language, keys as JSON) task arguments, BATCH_SIZE keys at a time."""
    work = []
    for item in plans:
        keys: list[KeyJSON] = [list(key) for key in item.todo]
        work += [(item.source_language, item.language, batch) for batch in chunked(keys, BATCH_SIZE)]
    return work


def queue_batches(plans: list[Plan]) -> int:
    """Queue the translation of every planned key, BATCH_SIZE at a time; how many keys were queued."""
    work = batches(plans)
    for source_language, language, keys in work:
        enqueue("quiz.tasks.translate_missing_batch", source_language, language, keys)
    return sum(len(keys) for _source, _language, keys in work)


def queue_retranslation(rows: list[Translation]) -> int:
    """Queue machine translation of these rows' fields, grouped by their objects' source language."""
    languages = storage.source_languages(rows)
    groups: dict[tuple[str, str], list[KeyJSON]] = {}
    for row in rows:
        source_language = languages[(row.model, row.object_id)]
        groups.setdefault((source_language, row.language), []).append([row.model, row.object_id, row.field])
    for (source_language, language), keys in groups.items():
        for batch in chunked(keys, BATCH_SIZE):
            enqueue("quiz.tasks.translate_missing_batch", source_language, language, batch)
    return sum(len(keys) for keys in groups.values())


def claim_batch(source_language: str, language: str, keys: list[KeyJSON]) -> bool:
    """True the first time this exact batch is asked for within an hour: a rerun of an interrupted
    backfill does not queue again what is still waiting in the queue."""
    fingerprint = hashlib.sha256(repr((source_language, language, keys)).encode()).hexdigest()
    return first_time_within(f"translation-backfill:{fingerprint}", 3600)


def translate_batch(source_language: str, language: str, keys: list[storage.Key]) -> dict[str, int]:
    """Translate and save one batch; fields an editor translated are left alone."""
    sources = storage.current_sources(keys)
    stored = {
        (row.model, row.object_id, row.field): row
        for row in Translation.objects.filter(
            language=language, origin=Translation.Origin.HUMAN, model__in={key[0] for key in keys}
        ).filter(object_id__in={key[1] for key in keys})
    }
    todo = [key for key in keys if key not in stored and sources[key]]
    provider = providers.configured()
    texts = [sources[key] for key in todo]
    translated = providers.translate(provider, texts, source_language, language) if texts else []
    entries = [
        storage.Entry(*key, text=text, source_hash=registry.source_hash(sources[key]))
        for key, text in zip(todo, translated, strict=True)
    ]
    written = storage.save_machine_translations(language, provider.name, entries) if entries else 0
    return {"translated": written, "skipped_human": len(keys) - len(todo)}
