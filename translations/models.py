from django.db import models
from django.utils.translation import gettext_lazy as _

# A translation may run longer than its source (English from Korean often does): twice the longest text
# a translated field holds (quiz.models.LONG_TEXT_MAX_LENGTH).
TRANSLATION_MAX_LENGTH = 20_000


class Translation(models.Model):
    """A translated text of one registered (model, field) of one object, in one language.

    `source_hash` is the hash of the source text it was made from: when the source changes, the
    translation is stale. A human translation (an editor's) is never overwritten by a machine one.
    """

    class Origin(models.TextChoices):
        MACHINE = "machine", _("machine")
        HUMAN = "human", _("human")

    model = models.CharField(max_length=40)  # "app_label.model", one of translations.registry
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    text = models.TextField(max_length=TRANSLATION_MAX_LENGTH)
    source_hash = models.CharField(max_length=64)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.MACHINE)
    provider = models.CharField(max_length=40, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_id", "field", "language"], name="one_translation_per_field"
            )
        ]
        indexes = [models.Index(fields=["model", "object_id"])]
        db_table = "quiz_translation"  # made by the quiz app, kept when it moved here: no data moves

    def __str__(self) -> str:
        return f"{self.model}:{self.object_id}.{self.field} [{self.language}]"
