"""Which (model, field) pairs are translated. Nothing else may ever be written as a translation.

The apps that own the models register them when they are ready (quiz.translated), so this app
knows no other app's models."""

import hashlib

from django.db import models

FIELDS: dict[type[models.Model], tuple[str, ...]] = {}
BY_LABEL: dict[str, type[models.Model]] = {}
# Where each model's source language is, as a lookup from the model (an exam's, for its questions).
SOURCE_LANGUAGE_PATH: dict[type[models.Model], str] = {}


def register(model: type[models.Model], fields: tuple[str, ...], source_language_path: str) -> None:
    FIELDS[model] = fields
    BY_LABEL[label(model)] = model
    SOURCE_LANGUAGE_PATH[model] = source_language_path


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def is_registered(model_label: object, field: object) -> bool:
    """Whether (model label, field) is translated; False for anything else, task arguments of any type included."""
    model = BY_LABEL.get(model_label) if isinstance(model_label, str) else None
    return model is not None and field in FIELDS[model]


def source_hash(text: str) -> str:
    """What a translation remembers of the text it was made from."""
    return hashlib.sha256(text.encode()).hexdigest()
