"""The world the sweeps run in, and the snapshots that show a refused request or task wrote nothing."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from backup.models import Backup
from jobs.models import OutboxMessage, TrackedJob
from notifications.models import Notification
from quiz import attempts
from quiz.models import Attempt, Choice, Exam, Question, ReviewItem, Tag
from tests.factories import PASSWORD, make_exam, make_records_admin_shows, make_user

# Sessions come and go with every login; the outbox takes the page's translation saves (a cache,
# enqueued by any page in another language, errors included); a login lockout is recorded for Admin
# when garbage logins reach the failure limit, on the very answer (429) that refuses them.
UNCOUNTED_TABLES = {"django_session", "jobs_outboxmessage", "accounts_lockout"}


@dataclass
class World:
    learner: User
    other: User
    staff: User | None
    exam: Exam
    draft: Exam
    open_attempt: Attempt
    finished_attempt: Attempt
    others_attempt: Attempt
    review: ReviewItem
    notification: Notification
    others_notification: Notification
    job: TrackedJob
    backup: Backup
    # With staff: the first row of each model Admin shows, for its change, delete and history pages.
    admin_rows: dict[type[Model], Model] = field(default_factory=dict)

    def fresh(self, user: User) -> User:
        """The user as stored now: a login in an earlier (rolled-back) example changed the object."""
        return User.objects.get(pk=user.pk)

    @property
    def answer_keys(self) -> list[str]:
        return [f"q{pk}" for pk in Question.objects.filter(exam=self.exam).values_list("pk", flat=True)]

    @property
    def choice_ids(self) -> list[str]:
        return [str(pk) for pk in Choice.objects.filter(question__exam=self.exam).values_list("pk", flat=True)]

    def plausible_values(self) -> list[str]:
        """Values that pass some fields, so examples get past the first check and further in."""
        return [
            *self.choice_ids,
            "learner",
            "learner@example.com",
            "new@example.com",
            PASSWORD,
            "en",
            "ko",
            "Asia/Seoul",
            "9",
            "23",
            "24",
            "on",
            "/exams/",
            "https://evil.example/",
            *("1", "4", "5", "0.9", "0.97"),  # ratings, desired retentions
        ]


def build_world(with_staff: bool) -> World:
    """The cast of the sweeps; with staff (a superuser), also one real row of every model Admin shows."""
    learner, other = make_user("learner"), make_user("other")
    staff = make_user("staff", is_staff=True, is_superuser=True) if with_staff else None
    exam, draft = make_exam("python"), make_exam("draft", published=False)
    first = exam.questions.first()
    assert first is not None
    now = timezone.now()
    world = World(
        learner=learner,
        other=other,
        staff=staff,
        exam=exam,
        draft=draft,
        open_attempt=attempts.start_attempt(learner, exam),
        finished_attempt=attempts.finish_attempt(attempts.start_attempt(learner, exam)),
        others_attempt=attempts.start_attempt(other, exam),
        review=ReviewItem.objects.create(user=learner, question=first, due=now),
        notification=Notification.objects.create(user=learner, title="Hello"),
        others_notification=Notification.objects.create(user=other, title="Not yours"),
        job=TrackedJob.objects.create(user=learner, task_name="jobs.tasks.ping"),
        backup=Backup.objects.create(
            trigger=Backup.Trigger.ADMIN,
            status=Backup.Status.SUCCEEDED,
            started=now - timedelta(hours=1),
            finished=now,
            engine="postgresql",
            file_name="drillquiz-gone.dump.zst",
        ),
    )
    if with_staff:
        add_a_row_for_every_admin(world)
    return world


def add_a_row_for_every_admin(world: World) -> None:
    """One real row of each model Admin shows that the world has none of, so every change form renders."""
    make_records_admin_shows(world.exam, world.learner.username)
    OutboxMessage.objects.create(task_id=str(uuid.uuid4()), task_name="jobs.tasks.ping", args=["sweep"])
    world.exam.tags.add(Tag.objects.create(name="Python", slug="python"))
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"the world has no {model._meta.label} row for its Admin pages: add one here"
        world.admin_rows[model] = row


# --- Snapshots


def row_counts() -> dict[str, int]:
    """Rows per table of every model (one query), so an error can be shown to write nothing."""
    tables = sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)} - UNCOUNTED_TABLES)
    # Table names come from the models, quoted; nothing of the input reaches this statement.
    counts = ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


class RolledBack(Exception):
    """Ends an example's savepoint."""


@contextmanager
def example_savepoint() -> Iterator[None]:
    """One example's writes, undone afterwards; foreign keys checked per statement, as in autocommit."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            yield
            raise RolledBack
    except RolledBack:
        pass
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def database_state() -> dict[str, list[dict[str, object]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }
