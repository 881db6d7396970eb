"""Reading and writing stored translations: validated, in bulk, and never over a human's work."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from pydantic import ConfigDict, Field

from drillquiz.chunks import chunked
from drillquiz.payloads import ObjectId, Storable
from translations import registry
from translations.models import Translation

UPSERT_BATCH = 500
# INSERT ... ON CONFLICT DO UPDATE ... WHERE: one statement per batch that never touches a human row,
# even one an editor saves while this runs (PostgreSQL and SQLite both speak it). Only the table
# name and placeholders are formatted in; every value is a parameter.
UPSERT_SQL = (
    "INSERT INTO {table} (model, object_id, field, language, text, source_hash, origin, provider, updated) "
    "VALUES {values} ON CONFLICT (model, object_id, field, language) DO UPDATE SET "
    "text = excluded.text, source_hash = excluded.source_hash, provider = excluded.provider, "
    "updated = excluded.updated WHERE {table}.origin = %s"
)
Key = tuple[str, int, str]  # (model label, object id, field)
TEXT_MAX_LENGTH = Translation._meta.get_field("text").max_length or 0
HASH_LENGTH = Translation._meta.get_field("source_hash").max_length or 0


@dataclass(frozen=True)
class Entry:
    """One translated field of one object. The save task carries it as a JSON object with the keys
    model, id, field, text and hash (translations.payloads validates it into this)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    model: str
    object_id: Annotated[ObjectId, Field(alias="id")]
    field: str
    text: Annotated[str, Field(max_length=TEXT_MAX_LENGTH), Storable]
    source_hash: Annotated[str, Field(alias="hash", max_length=HASH_LENGTH)]


class SourceGone(LookupError):
    """An object whose translation a task was asked to save or make no longer exists."""


def current_sources(keys: Iterable[Key]) -> dict[Key, str]:
    """The current source text of each key, one query per model; SourceGone if an object is gone."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for model_label, object_id, _field in keys:
        wanted[model_label].add(object_id)
    sources: dict[Key, str] = {}
    for model_label, ids in wanted.items():
        model = registry.BY_LABEL[model_label]
        fields = registry.FIELDS[model]
        rows = model._default_manager.filter(pk__in=ids).values_list("pk", *fields)
        found = {row[0]: row[1:] for row in rows}
        if missing := ids - set(found):
            raise SourceGone(f"no {model_label} with id {', '.join(map(str, sorted(missing)))}")
        for object_id, values in found.items():
            for field, value in zip(fields, values, strict=True):
                sources[(model_label, object_id, field)] = value
    return sources


def save_machine_translations(language: str, provider: str, entries: list[Entry]) -> int:
    """Upsert machine translations in bulk; returns how many were written.

    An entry whose source changed since it was translated is dropped (the next view translates the
    new text); a human translation is kept (the upsert only updates machine rows). Safe to run twice.
    """
    sources = current_sources((entry.model, entry.object_id, entry.field) for entry in entries)
    fresh = [
        entry
        for entry in entries
        if registry.source_hash(sources[(entry.model, entry.object_id, entry.field)]) == entry.source_hash
    ]
    if fresh:
        upsert(language, provider, fresh)
    return len(fresh)


@transaction.atomic
def upsert(language: str, provider: str, entries: list[Entry]) -> None:
    table = connection.ops.quote_name(Translation._meta.db_table)
    now = timezone.now()
    for batch in chunked(entries, UPSERT_BATCH):
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
        params: list[Any] = []
        for entry in batch:
            params += [entry.model, entry.object_id, entry.field, language, entry.text, entry.source_hash]
            params += [Translation.Origin.MACHINE, provider, now]
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_SQL.format(table=table, values=values), [*params, Translation.Origin.MACHINE])


def save_human_translations(provider: str, entries: list[tuple[str, Entry]]) -> None:
    """Store (language, entry) pairs as editors' translations, in bulk, replacing what was stored for those fields."""
    now = timezone.now()
    Translation.objects.bulk_create(
        [
            Translation(
                model=entry.model,
                object_id=entry.object_id,
                field=entry.field,
                language=language,
                text=entry.text,
                source_hash=entry.source_hash,
                origin=Translation.Origin.HUMAN,
                provider=provider,
                updated=now,
            )
            for language, entry in entries
        ],
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["model", "object_id", "field", "language"],
        update_fields=["text", "source_hash", "origin", "provider", "updated"],
    )


def delete_for(objects: Iterable[models.Model]) -> int:
    """Delete every stored translation of these objects (they have no foreign key to cascade from)."""
    which = _objects_filter(objects)
    return Translation.objects.filter(which).delete()[0] if which is not None else 0


def _objects_filter(objects: Iterable[models.Model]) -> Q | None:
    ids: dict[str, set[int]] = defaultdict(set)
    for obj in objects:
        ids[registry.label(type(obj))].add(obj.pk)
    if not ids:
        return None
    which = Q()
    for model_label, object_ids in ids.items():
        which |= Q(model=model_label, object_id__in=object_ids)
    return which


def stored_for(objects: Iterable[models.Model], language: str) -> dict[Key, Translation]:
    """Every stored translation of these objects' registered fields in language, in one query."""
    which = _objects_filter(objects)
    if which is None:
        return {}
    rows = Translation.objects.filter(which, language=language)
    return {(row.model, row.object_id, row.field): row for row in rows}


def stale_ids(rows: Iterable[Translation]) -> set[int]:
    """Ids of the translations whose source text changed since they were made (or whose object is gone)."""
    rows = list(rows)
    sources: dict[Key, str] = {}
    by_model: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        by_model[row.model].add(row.object_id)
    for model_label, ids in by_model.items():
        model = registry.BY_LABEL.get(model_label)
        if model is None:
            continue
        fields = registry.FIELDS[model]
        for object_id, *values in model._default_manager.filter(pk__in=ids).values_list("pk", *fields):
            sources.update({(model_label, object_id, name): value for name, value in zip(fields, values, strict=True)})
    return {
        row.pk
        for row in rows
        if registry.source_hash(sources.get((row.model, row.object_id, row.field), "")) != row.source_hash
    }


def source_languages(rows: list[Translation]) -> dict[tuple[str, int], str]:
    """The source language of each row's object: one query per model, not one per row."""
    ids: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        ids[row.model].add(row.object_id)
    languages = {}
    for model_label, object_ids in ids.items():
        model = registry.BY_LABEL[model_label]
        path = registry.SOURCE_LANGUAGE_PATH[model]
        languages.update(
            {
                (model_label, pk): language
                for pk, language in model._default_manager.filter(pk__in=object_ids).values_list("pk", path)
            }
        )
    return languages
