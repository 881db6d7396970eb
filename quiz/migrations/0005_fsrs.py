"""SM-2 review items become FSRS cards; reviews are logged; attempts get modes, deadlines and flags.

Each SM-2 item keeps its due date: an item due on day D (in its learner's time zone) is due from
midnight of D there, in UTC. An item never reviewed stays new. A reviewed one gets the memory state
Anki gives an SM-2 card when it switches to FSRS (fsrs-rs's memory_state_from_sm2: stability from the
interval and ease factor at SM-2's assumed 90% retention, difficulty from the ease factor); one whose
last grade was a miss (repetitions 0) relearns.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

NEW, REVIEW, RELEARNING = 0, 2, 3
SM2_RETENTION = 0.9


def start_of_local_day(day, time_zone):
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone)).astimezone(ZoneInfo("UTC"))


def sm2_to_fsrs(apps, schema_editor):
    db = schema_editor.connection.alias  # the database migrated, not always the default
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS

    fsrs = FSRS(DEFAULT_PARAMETERS)
    ReviewItem = apps.get_model("quiz", "ReviewItem")
    items = ReviewItem.objects.using(db).select_related("user").order_by("pk")
    for item in items.iterator(chunk_size=2000):
        item.due_at = start_of_local_day(item.due, item.user.time_zone)
        if item.last_reviewed is None:
            item.state, item.step = NEW, 0
        else:
            memory = fsrs.memory_state_from_sm2(float(item.ease_factor), max(item.interval_days, 1), SM2_RETENTION)
            item.stability, item.difficulty = memory.stability, memory.difficulty
            item.last_review = item.last_reviewed
            if item.repetitions:
                item.state, item.step = REVIEW, None
            else:
                item.state, item.step = RELEARNING, 0
        item.save(update_fields=["due_at", "state", "step", "stability", "difficulty", "last_review"])


def fsrs_to_sm2(apps, schema_editor):
    """Back to SM-2 as well as it goes: the due date kept, the interval from the stability."""
    db = schema_editor.connection.alias  # the database migrated, not always the default
    ReviewItem = apps.get_model("quiz", "ReviewItem")
    for item in ReviewItem.objects.using(db).select_related("user").order_by("pk").iterator(chunk_size=2000):
        item.due = item.due_at.astimezone(ZoneInfo(item.user.time_zone)).date()
        item.last_reviewed = item.last_review
        item.interval_days = round(item.stability or 0)
        item.repetitions = 1 if item.state == REVIEW else 0
        item.save(update_fields=["due", "last_reviewed", "interval_days", "repetitions"])


def answers_answered_when_submitted(apps, schema_editor):
    db = schema_editor.connection.alias  # the database migrated, not always the default
    Answer = apps.get_model("quiz", "Answer")
    Attempt = apps.get_model("quiz", "Attempt")
    finished = Attempt.objects.using(db).filter(pk=models.OuterRef("attempt_id")).values("finished")
    Answer.objects.using(db).filter(answered_at__isnull=True).update(answered_at=models.Subquery(finished))


class Migration(migrations.Migration):
    dependencies = [
        ("quiz", "0004_long_text_limits"),
        ("accounts", "0004_learning_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewitem",
            name="state",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "new"), (1, "learning"), (2, "review"), (3, "relearning")], default=0, verbose_name="state"
            ),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="step",
            field=models.PositiveSmallIntegerField(blank=True, default=0, null=True),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="stability",
            field=models.FloatField(blank=True, null=True, verbose_name="stability (days)"),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="difficulty",
            field=models.FloatField(blank=True, null=True, verbose_name="difficulty"),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="last_review",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last review"),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="lapses",
            field=models.PositiveIntegerField(default=0, verbose_name="lapses"),
        ),
        migrations.AddField(
            model_name="reviewitem",
            name="due_at",
            field=models.DateTimeField(null=True),
        ),
        # Nullable first, so that running this migration backwards can add the date column again.
        migrations.AlterField(model_name="reviewitem", name="due", field=models.DateField(null=True)),
        migrations.RunPython(sm2_to_fsrs, fsrs_to_sm2, elidable=False),
        migrations.RemoveIndex(model_name="reviewitem", name="quiz_review_user_id_6ff6ad_idx"),
        migrations.RemoveField(model_name="reviewitem", name="due"),
        migrations.RemoveField(model_name="reviewitem", name="repetitions"),
        migrations.RemoveField(model_name="reviewitem", name="interval_days"),
        migrations.RemoveField(model_name="reviewitem", name="ease_factor"),
        migrations.RemoveField(model_name="reviewitem", name="last_reviewed"),
        migrations.RenameField(model_name="reviewitem", old_name="due_at", new_name="due"),
        migrations.AlterField(
            model_name="reviewitem",
            name="due",
            field=models.DateTimeField(verbose_name="due"),
        ),
        migrations.AddIndex(
            model_name="reviewitem",
            index=models.Index(fields=["user", "due"], name="quiz_review_user_id_6ff6ad_idx"),
        ),
        migrations.CreateModel(
            name="ReviewLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "rating",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")], verbose_name="rating"
                    ),
                ),
                ("reviewed_at", models.DateTimeField(verbose_name="reviewed at")),
                ("duration_ms", models.PositiveIntegerField(blank=True, null=True, verbose_name="time taken (ms)")),
                (
                    "state_before",
                    models.PositiveSmallIntegerField(
                        choices=[(0, "new"), (1, "learning"), (2, "review"), (3, "relearning")]
                    ),
                ),
                ("due_before", models.DateTimeField()),
                (
                    "state_after",
                    models.PositiveSmallIntegerField(
                        choices=[(0, "new"), (1, "learning"), (2, "review"), (3, "relearning")]
                    ),
                ),
                ("due_after", models.DateTimeField()),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="logs", to="quiz.reviewitem"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["reviewed_at", "pk"],
                "indexes": [
                    models.Index(fields=["user", "reviewed_at"], name="quiz_review_user_id_83916a_idx"),
                    models.Index(fields=["item", "reviewed_at"], name="quiz_review_item_id_55e56b_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="LearnerParameters",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("parameters", models.JSONField(verbose_name="parameters")),
                ("fitted_at", models.DateTimeField(verbose_name="fitted at")),
                ("review_count", models.PositiveIntegerField(verbose_name="reviews used")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fsrs_parameters",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "learner parameters", "verbose_name_plural": "learner parameters"},
        ),
        migrations.AddField(
            model_name="exam",
            name="time_limit_minutes",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="For exam mode; empty for no limit. Practice mode is never timed.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(600),
                ],
                verbose_name="time limit (minutes)",
            ),
        ),
        migrations.AddField(
            model_name="attempt",
            name="mode",
            field=models.CharField(
                choices=[("practice", "practice"), ("exam", "exam")], default="exam", max_length=8, verbose_name="mode"
            ),
        ),
        migrations.AddField(
            model_name="attempt",
            name="deadline",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="attempt",
            name="choice_order",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="answer",
            name="is_correct",
            field=models.BooleanField(null=True),
        ),
        migrations.AddField(
            model_name="answer",
            name="answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="answer",
            name="flagged",
            field=models.BooleanField(default=False, verbose_name="flagged"),
        ),
        migrations.RunPython(answers_answered_when_submitted, migrations.RunPython.noop, elidable=True),
    ]
