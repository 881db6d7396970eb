"""The migration from SM-2: every review item becomes an FSRS card due when it was due before."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from quiz.models import CardState, ReviewItem

BEFORE = [("quiz", "0004_long_text_limits"), ("accounts", "0003_lockout")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_sm2_items_become_fsrs_cards_due_at_the_start_of_their_local_due_day() -> None:
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    user = apps.get_model("accounts", "User").objects.create(username="sm2", time_zone="America/New_York")
    exam = apps.get_model("quiz", "Exam").objects.create(slug="sm2", title="SM-2", source_language="en")
    question = apps.get_model("quiz", "Question")
    new, learned, lapsed = (question.objects.create(exam=exam, text=f"Q{n}") for n in range(3))
    old_item = apps.get_model("quiz", "ReviewItem").objects
    reviewed = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    old_item.create(user=user, question=new, due=date(2026, 12, 1))
    old_item.create(
        user=user,
        question=learned,
        due=date(2026, 12, 5),
        repetitions=3,
        interval_days=15,
        ease_factor=Decimal("2.30"),
        last_reviewed=reviewed,
    )
    old_item.create(
        user=user,
        question=lapsed,
        due=date(2026, 11, 21),
        repetitions=0,
        interval_days=1,
        ease_factor=Decimal("1.90"),
        last_reviewed=reviewed,
    )

    migrate(executor.loader.graph.leaf_nodes())

    cards = {item.question.text: item for item in ReviewItem.objects.select_related("question")}
    # Midnight in New York, in UTC: 05:00 in winter.
    assert cards["Q0"].due == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert (cards["Q0"].state, cards["Q0"].stability, cards["Q0"].last_review) == (CardState.NEW, None, None)
    assert cards["Q1"].due == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
    assert (cards["Q1"].state, cards["Q1"].step, cards["Q1"].last_review) == (CardState.REVIEW, None, reviewed)
    # Stability near the SM-2 interval; a lower ease factor means a harder card.
    stability, difficulty, lapsed_difficulty = cards["Q1"].stability, cards["Q1"].difficulty, cards["Q2"].difficulty
    assert stability is not None and 10 <= stability <= 20
    assert cards["Q2"].state == CardState.RELEARNING and cards["Q2"].step == 0
    assert difficulty is not None and lapsed_difficulty is not None and lapsed_difficulty > difficulty
    assert cards["Q2"].due == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_the_migration_runs_backwards_keeping_due_dates() -> None:
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    user = apps.get_model("accounts", "User").objects.create(username="sm2", time_zone="Asia/Seoul")
    exam = apps.get_model("quiz", "Exam").objects.create(slug="sm2", title="SM-2", source_language="en")
    question = apps.get_model("quiz", "Question").objects.create(exam=exam, text="Q")
    apps.get_model("quiz", "ReviewItem").objects.create(user=user, question=question, due=date(2026, 12, 3))
    leaves = executor.loader.graph.leaf_nodes()
    migrate(leaves)

    executor = migrate(BEFORE)

    item = executor.loader.project_state(BEFORE).apps.get_model("quiz", "ReviewItem").objects.get()
    assert item.due == date(2026, 12, 3)
    migrate(leaves)
