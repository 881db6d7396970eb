"""The translation tasks' arguments (translations.tasks), described once; Celery validates them."""

from typing import Annotated, Any

from pydantic import AfterValidator, Field, RootModel, TypeAdapter

from drillquiz.payloads import ObjectId, Storable
from translations import registry
from translations.models import Translation
from translations.storage import Entry, Key

PROVIDER_LENGTH = Translation._meta.get_field("provider").max_length or 0


def translated_field(model: str, field: str) -> None:
    if not registry.is_registered(model, field):
        raise ValueError("its model and field are not a translated field")  # the value is quoted after


def translated_entry(entry: Entry) -> Entry:
    translated_field(entry.model, entry.field)
    return entry


def translated_key(key: Key) -> Key:
    translated_field(key[0], key[2])
    return key


class ProviderName(RootModel[Annotated[str, Field(max_length=PROVIDER_LENGTH), Storable]]):
    """The name of the provider that made the translations, as the provider column holds it."""


class Entries(RootModel[Annotated[list[Annotated[Entry, AfterValidator(translated_entry)]], Field(min_length=1)]]):
    """The translated fields to store, as the save task carries them: [{model, id, field, text, hash}, ...]."""


class Keys(
    RootModel[
        Annotated[list[Annotated[tuple[str, ObjectId, str], AfterValidator(translated_key)]], Field(min_length=1)]
    ]
):
    """The fields to translate, as the backfill task carries them: [[model, id, field], ...]."""


ENTRY_JSON = TypeAdapter(list[Entry])


def entries_json(entries: list[Entry]) -> list[dict[str, Any]]:
    """Entries as the save task's argument: the keys of the JSON object, not the attribute names."""
    return ENTRY_JSON.dump_python(entries, by_alias=True)  # type: ignore[no-any-return]
