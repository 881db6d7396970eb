"""Which (model, field) pairs are translated. Nothing else may ever be written as a translation."""

import hashlib

from django.db import models

from quiz.models import Choice, Exam, Question

FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Exam: ("title", "description"),
    Question: ("text", "explanation"),
    Choice: ("text",),
}
BY_LABEL: dict[str, type[models.Model]] = {model._meta.label_lower: model for model in FIELDS}


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def is_registered(model_label: object, field: object) -> bool:
    """Whether (model label, field) is translated; False for anything else, task arguments of any type included."""
    model = BY_LABEL.get(model_label) if isinstance(model_label, str) else None
    return model is not None and field in FIELDS[model]


def source_hash(text: str) -> str:
    """What a translation remembers of the text it was made from."""
    return hashlib.sha256(text.encode()).hexdigest()
