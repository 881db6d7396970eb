"""Exams as JSON files (docs/exam-format.md): validation, import and export."""

import json
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model

from drillquiz.languages import language_codes
from drillquiz.text import storable
from quiz.models import Choice, Exam, Question, Tag
from translations import registry, storage
from translations.models import Translation

FORMAT = "drillquiz-exam/1"
# Matched whole (fullmatch): with match() and "$", a trailing newline would pass.
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
TAG = re.compile(r"[-a-z0-9]{1,50}")
MIN_CHOICES, MAX_CHOICES = 2, 10
MAX_QUESTIONS, MAX_TAGS = 500, 20
# An error message lists this many problems at most (a file of 500 bad questions has thousands).
SHOWN_ERRORS = 20
# Who wrote a translation that came in an exam file, as the translations' provider column says.
FILE_PROVIDER = "exam-file"


class ExamFileError(ValueError):
    """An exam file that cannot be imported; `errors` lists every problem with its place."""

    def __init__(self, errors: list[str]) -> None:
        more = len(errors) - SHOWN_ERRORS
        super().__init__("; ".join(errors[:SHOWN_ERRORS]) + (f"; and {more} more" if more > 0 else ""))
        self.errors = errors


def max_file_bytes() -> int:
    return settings.EXAM_FILE_MAX_BYTES


def parse(raw: bytes | str) -> Any:
    """The JSON of an exam file; raises ExamFileError when it is too large or not UTF-8 JSON.

    A caller reading a file reads at most max_file_bytes() + 1 bytes, so a larger one is refused here.
    """
    if len(raw) > max_file_bytes():
        raise ExamFileError([f"the file is larger than {max_file_bytes()} bytes"])
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExamFileError([f"the file is not valid UTF-8 JSON: {error}"]) from None


def _check_text(errors: list[str], where: str, value: Any, max_length: int | None, required: bool = True) -> None:
    if not isinstance(value, str):
        errors.append(f"{where}: must be a string")
    elif not storable(value):
        errors.append(f"{where}: must not contain NUL characters or unpaired surrogates")
    elif required and not value.strip():
        errors.append(f"{where}: must not be empty")
    elif max_length is not None and len(value) > max_length:
        errors.append(f"{where}: at most {max_length} characters, got {len(value)}")


def max_length(model: type[Model], field: str) -> int:
    # 0 refuses every text: a field without a max_length here is a bug to find at once.
    return getattr(model._meta.get_field(field), "max_length", None) or 0


def _check_translations(errors: list[str], where: str, item: dict[str, Any], model: type[Model], source: Any) -> None:
    """An object's `translations`: {language: {field: text}}, for the site's other languages and only
    for the translated fields the object has a text in. `where` is the place of "translations"."""
    translations = item.get("translations", {})
    if not isinstance(translations, dict):
        errors.append(f"{where}: must be an object of languages, each an object of texts")
        return
    others = [code for code in language_codes() if code != source]
    fields = registry.FIELDS[model]
    for language, texts in translations.items():
        place = f"{where}.{language}"
        if language not in others:
            errors.append(f"{where}: translations are into {' or '.join(others)}, not {language!r:.20}")
        elif not isinstance(texts, dict):
            errors.append(f"{place}: must be an object of texts by field ({', '.join(fields)})")
        else:
            for name, text in texts.items():
                if name not in fields:
                    errors.append(f"{place}: {name!r:.40} is not a translated field; those are {', '.join(fields)}")
                elif not (isinstance(item.get(name), str) and item[name].strip()):
                    errors.append(f"{place}.{name}: there is no {name} to translate")
                else:
                    _check_text(errors, f"{place}.{name}", text, max_length(Translation, "text"))


def _check_question(errors: list[str], where: str, question: Any, source: Any) -> None:
    if not isinstance(question, dict):
        errors.append(f"{where}: must be an object")
        return
    kind = question.get("kind")
    if kind not in Question.Kind.values:
        errors.append(f"{where}.kind: must be 'single' or 'multiple', got {kind!r:.40}")
    _check_text(errors, f"{where}.text", question.get("text"), max_length(Question, "text"))
    explanation = question.get("explanation", "")
    _check_text(errors, f"{where}.explanation", explanation, max_length(Question, "explanation"), required=False)
    _check_translations(errors, f"{where}.translations", question, Question, source)
    choices = question.get("choices")
    if not isinstance(choices, list) or not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        errors.append(f"{where}.choices: must be a list of {MIN_CHOICES} to {MAX_CHOICES} choices")
        return
    for index, choice in enumerate(choices):
        if not isinstance(choice, dict):
            errors.append(f"{where}.choices[{index}]: must be an object")
            continue
        _check_text(errors, f"{where}.choices[{index}].text", choice.get("text"), max_length(Choice, "text"))
        _check_translations(errors, f"{where}.choices[{index}].translations", choice, Choice, source)
        if not isinstance(choice.get("correct"), bool):
            errors.append(f"{where}.choices[{index}].correct: must be true or false")
    correct = sum(1 for choice in choices if isinstance(choice, dict) and choice.get("correct") is True)
    if kind == Question.Kind.SINGLE and correct != 1:
        errors.append(f"{where}.choices: a single-choice question needs exactly one correct choice, got {correct}")
    if kind == Question.Kind.MULTIPLE and correct < 1:
        errors.append(f"{where}.choices: a multiple-choice question needs at least one correct choice")


def validate(data: Any) -> list[str]:
    """Every problem of an exam file, each with its place; empty when it can be imported."""
    if not isinstance(data, dict):
        return ["the file must hold one JSON object"]
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(f"format: must be {FORMAT!r}, got {data.get('format')!r:.40}")
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        errors.append("slug: 1 to 80 letters, digits, '-' or '_'")
    elif Exam.objects.filter(slug=slug).exists():
        errors.append(f"slug: an exam {slug!r} already exists")
    _check_text(errors, "title", data.get("title"), max_length(Exam, "title"))
    _check_text(errors, "description", data.get("description", ""), max_length(Exam, "description"), required=False)
    languages = language_codes()
    if data.get("source_language") not in languages:
        errors.append(f"source_language: one of {', '.join(languages)}, got {data.get('source_language')!r:.40}")
    _check_translations(errors, "translations", data, Exam, data.get("source_language"))
    if not isinstance(data.get("published", False), bool):
        errors.append("published: must be true or false")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and TAG.fullmatch(tag) for tag in tags):
        errors.append("tags: a list of tag slugs (lower-case letters, digits and '-')")
    elif len(tags) > MAX_TAGS:
        errors.append(f"tags: at most {MAX_TAGS}")
    questions = data.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        errors.append(f"questions: must be a list of 1 to {MAX_QUESTIONS} questions")
    else:
        for index, question in enumerate(questions):
            _check_question(errors, f"questions[{index}]", question, data.get("source_language"))
    return errors


@transaction.atomic
def import_exam(data: Any) -> Exam:
    """Create an exam from a validated file, all or nothing; raises ExamFileError listing every problem."""
    errors = validate(data)
    if errors:
        raise ExamFileError(errors)
    exam = Exam.objects.create(
        slug=data["slug"],
        title=data["title"],
        description=data.get("description", ""),
        source_language=data["source_language"],
        is_published=data.get("published", False),
    )
    tags = [Tag.objects.get_or_create(slug=slug, defaults={"name": slug})[0] for slug in data.get("tags", [])]
    exam.tags.set(tags)
    questions = Question.objects.bulk_create(
        Question(exam=exam, kind=item["kind"], text=item["text"], explanation=item.get("explanation", ""), order=index)
        for index, item in enumerate(data["questions"])
    )
    choices = Choice.objects.bulk_create(
        Choice(question=question, text=choice["text"], is_correct=choice["correct"], order=index)
        for question, item in zip(questions, data["questions"], strict=True)
        for index, choice in enumerate(item["choices"])
    )
    items = [data, *data["questions"], *(choice for item in data["questions"] for choice in item["choices"])]
    storage.save_human_translations(
        FILE_PROVIDER,
        [
            (language, storage.Entry(registry.label(type(obj)), obj.pk, name, text, registry.source_hash(item[name])))
            for obj, item in zip([exam, *questions, *choices], items, strict=True)
            for language, texts in item.get("translations", {}).items()
            for name, text in texts.items()
        ],
    )
    return exam


def _human_translations(objects: list[Model], source_language: str) -> dict[tuple[str, int], dict[str, dict[str, str]]]:
    """The editors' translations of these objects that are up to date with their source, by (model, id)."""
    by_key = {(registry.label(type(obj)), obj.pk): obj for obj in objects}
    found: dict[tuple[str, int], dict[str, dict[str, str]]] = {}
    for language in language_codes():
        if language == source_language:
            continue
        for (model, object_id, name), row in storage.stored_for(objects, language).items():
            source = getattr(by_key[(model, object_id)], name)
            if row.origin == Translation.Origin.HUMAN and row.source_hash == registry.source_hash(source):
                found.setdefault((model, object_id), {}).setdefault(language, {})[name] = row.text
    return found


def export_exam(exam: Exam) -> dict[str, Any]:
    """The exam as an exam file that import_exam reads back, with the editors' up-to-date translations."""
    questions = list(exam.questions.prefetch_related("choices"))
    objects: list[Model] = [exam, *questions, *(choice for question in questions for choice in question.choices.all())]
    translations = _human_translations(objects, exam.source_language)

    def translated(obj: Model) -> dict[str, Any]:
        texts = translations.get((registry.label(type(obj)), obj.pk))
        return {"translations": texts} if texts else {}

    return {
        "format": FORMAT,
        "slug": exam.slug,
        "title": exam.title,
        "description": exam.description,
        **translated(exam),
        "source_language": exam.source_language,
        "published": exam.is_published,
        "tags": [tag.slug for tag in exam.tags.all()],
        "questions": [
            {
                "kind": question.kind,
                "text": question.text,
                "explanation": question.explanation,
                **translated(question),
                "choices": [
                    {"text": choice.text, "correct": choice.is_correct, **translated(choice)}
                    for choice in question.choices.all()
                ],
            }
            for question in questions
        ],
    }
