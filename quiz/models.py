from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from drillquiz.languages import language_choices

# Long texts have a maximum like every other text: forms, exam files and tasks check it before any work.
LONG_TEXT_MAX_LENGTH = 10_000
# Short: a stacked inline repeats it on every question of an exam's change form.
MARKDOWN_HELP = _("Markdown: `code`, ```python blocks, lists, *emphasis*, links, https images.")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExamQuerySet(models.QuerySet["Exam"]):
    def published(self) -> "ExamQuerySet":
        return self.filter(is_published=True)


class Exam(models.Model):
    """A set of questions authored in one source language."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=LONG_TEXT_MAX_LENGTH, blank=True)
    source_language = models.CharField(_("source language"), max_length=8, choices=language_choices)
    is_published = models.BooleanField(_("published"), default=False)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("For exam mode; empty for no limit. Practice mode is never timed."),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="exams", verbose_name=_("tags"))
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ExamQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("text"), max_length=LONG_TEXT_MAX_LENGTH, help_text=MARKDOWN_HELP)
    explanation = models.TextField(
        _("explanation"), max_length=LONG_TEXT_MAX_LENGTH, blank=True, help_text=MARKDOWN_HELP
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("text"), max_length=500, help_text=_("Markdown on one line."))
    is_correct = models.BooleanField(_("correct"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    """One sitting of an exam by a learner; finished once it is submitted or its time runs out."""

    class Mode(models.TextChoices):
        PRACTICE = "practice", _("practice")
        EXAM = "exam", _("exam")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts")
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.EXAM)
    started = models.DateTimeField(auto_now_add=True)
    # Exam mode with a time limit: answers after this (and a short grace) are refused.
    deadline = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Question id (as text, a JSON key) -> its choice ids in the order this attempt shows them.
    choice_order = models.JSONField(default=dict, blank=True)
    correct_count = models.PositiveIntegerField(default=0)
    question_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started"]
        indexes = [models.Index(fields=["user", "-started"])]

    def __str__(self) -> str:
        return f"{self.user} - {self.exam}"

    @property
    def score_percent(self) -> int:
        if not self.question_count:
            return 0
        return round(100 * self.correct_count / self.question_count)

    @property
    def time_taken(self) -> timedelta | None:
        """From start to finish, pauses of a resumed practice included; None while it is open."""
        return None if self.finished is None else self.finished - self.started


class Answer(models.Model):
    """A question of an attempt: answered (is_correct set) or not yet, flagged or not."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    choices = models.ManyToManyField(Choice, related_name="+")
    is_correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        verdict = {True: "right", False: "wrong", None: "unanswered"}[self.is_correct]
        return f"{self.attempt_id}/{self.question_id}: {verdict}"


class CardState(models.IntegerChoices):
    """FSRS's card states (the values of fsrs.State), and NEW for a card not reviewed yet."""

    NEW = 0, _("new")
    LEARNING = 1, _("learning")
    REVIEW = 2, _("review")
    RELEARNING = 3, _("relearning")


class Rating(models.IntegerChoices):
    """How a review went: the values of fsrs.Rating."""

    AGAIN = 1, _("Again")
    HARD = 2, _("Hard")
    GOOD = 3, _("Good")
    EASY = 4, _("Easy")


# A card forgotten this many times is a leech: it is flagged to the learner and to editors.
LEECH_LAPSES = 8


class ReviewItem(models.Model):
    """A question in a learner's review queue: one FSRS card (see quiz.scheduling)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    state = models.PositiveSmallIntegerField(_("state"), choices=CardState.choices, default=CardState.NEW)
    # The learning or relearning step; None in the review state.
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(_("stability (days)"), null=True, blank=True)
    difficulty = models.FloatField(_("difficulty"), null=True, blank=True)
    due = models.DateTimeField(_("due"))
    last_review = models.DateTimeField(_("last review"), null=True, blank=True)
    lapses = models.PositiveIntegerField(_("lapses"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_review_item_per_question")]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self) -> str:
        return f"{self.user} - {self.question} (due {self.due:%Y-%m-%d %H:%M})"

    @property
    def is_leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES


class ReviewLog(models.Model):
    """One review of one card, kept for good: the history schedules and parameters are computed from."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    reviewed_at = models.DateTimeField(_("reviewed at"))
    duration_ms = models.PositiveIntegerField(_("time taken (ms)"), null=True, blank=True)
    state_before = models.PositiveSmallIntegerField(choices=CardState.choices)
    due_before = models.DateTimeField()
    state_after = models.PositiveSmallIntegerField(choices=CardState.choices)
    due_after = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_at", "pk"]
        indexes = [models.Index(fields=["user", "reviewed_at"]), models.Index(fields=["item", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_rating_display()} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class LearnerParameters(models.Model):
    """FSRS parameters fitted to one learner's own review logs by the weekly job."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fsrs_parameters")
    parameters = models.JSONField(_("parameters"))
    fitted_at = models.DateTimeField(_("fitted at"))
    review_count = models.PositiveIntegerField(_("reviews used"))

    class Meta:
        verbose_name = _("learner parameters")
        verbose_name_plural = _("learner parameters")

    def __str__(self) -> str:
        return f"{self.user} ({self.review_count} reviews, {self.fitted_at:%Y-%m-%d})"


class ReviewReminder(models.Model):
    """The one review reminder a user gets for one local day.

    The row is claimed (SENDING, with the claiming run's token) before the email goes out, so a
    retried chunk, a chunk delivered twice or a periodic task fired twice never sends it again.
    """

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        REFUSED = "refused", _("address refused")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    claim = models.UUIDField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="one_reminder_per_local_day")]
        indexes = [models.Index(fields=["claim"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.local_date} {self.status}"


class StreakMilestone(models.Model):
    """A study streak length a learner has reached (3, 7, 30 days...): the record that they were told once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField()
    reached_on = models.DateField()  # the learner's local date

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "days"], name="one_streak_milestone_per_length")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.days} days on {self.reached_on}"
