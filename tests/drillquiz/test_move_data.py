"""`move_data`: a `make run` site on SQLite, with the demo and learners' history, moved into an empty
PostgreSQL database whole; and every target it must refuse, refused in one line with nothing written."""

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.processes import ROOT, process_env

SERVER = "postgres://postgres@127.0.0.1:5432"

# A site as `make run` leaves it, then a few weeks of use: attempts in both modes, reviews, a
# notification, a backup record, and one row of everything else Admin shows.
MAKE_SITE = """
import django
django.setup()
from django.core.management import call_command
for command in ("migrate", "setup_periodic_tasks", "load_demo"):
    call_command(command, verbosity=0)
from django.utils import timezone
from backup.models import Backup
from notifications.models import Level
from notifications.services import notify_users
from quiz import attempts, services
from quiz.models import Exam, Rating
from tests.factories import make_records_admin_shows, make_user, wrong_answer
exam = Exam.objects.filter(is_published=True).order_by("pk").first()
questions = list(exam.questions.all())
for number in range(12):
    learner = make_user(f"learner{number}", language="en")
    practice = attempts.start_attempt(learner, exam, "practice")
    for question in questions[:4]:
        attempts.save_answer(practice, question, set(wrong_answer(question)))
    attempts.finish_attempt(attempts.start_attempt(learner, exam, "exam"))
    for rating in (Rating.AGAIN, Rating.GOOD, Rating.GOOD):
        services.review(services.review_queue(learner).item, rating)
notify_users([learner.pk], Level.INFO, "Welcome back")
now = timezone.now()
Backup.objects.create(trigger="manual", status="succeeded", started=now, finished=now, engine="sqlite",
                      file_name="drillquiz-sqlite.db", size=1234, row_counts={"quiz_exam": 3})
make_records_admin_shows(exam, "learner0")
"""

# Every table's rows read back through the models, ordered by key, as JSON: the same text from the
# source and from the target means every row arrived as it was stored.
FINGERPRINT = """
import django, json, sys
django.setup()
from django.apps import apps
tables = {}
for model in apps.get_models(include_auto_created=True):
    fields = [field.attname for field in model._meta.concrete_fields]
    rows = model._base_manager.order_by("pk").values_list(*fields)
    tables[model._meta.db_table] = json.loads(json.dumps(list(rows), default=str))  # dates, zones, decimals
json.dump(tables, sys.stdout)
"""

# New rows on the target after the move: each table's sequence must be past the ids that arrived.
ADD_ROWS = """
import django
django.setup()
from django.utils import timezone
from quiz import services
from quiz.models import Exam
from tests.factories import make_exam, make_user
learner = make_user("after-the-move")
exam = make_exam("after-the-move", questions=2)
services.add_to_review_queue(learner, [question.pk for question in exam.questions.all()], timezone.now())
print("added", Exam.objects.count())
"""


def site_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return process_env(
        unset=("CELERY_BROKER_URL", "CACHE_URL"),
        DATABASE_URL=database_url,
        DRILLQUIZ_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="drillquiz.settings",
    )


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def python(env: dict[str, str], script: str) -> str:
    result = run(env, sys.executable, "-c", script)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, sys.executable, "manage.py", *args)


@pytest.fixture
def target() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"drillquiz_move_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{SERVER}/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a `make run` site on a SQLite file, with its demo and learners; made once,
    as the move only reads it."""
    folder = tmp_path_factory.mktemp("site")
    env = site_env(folder, f"sqlite:///{folder / 'db.sqlite3'}")
    python(env, MAKE_SITE)
    return env


def table_rows(url: str) -> dict[str, int]:
    """Rows per table of ours in the PostgreSQL database at url (django_migrations aside)."""
    with psycopg.connect(url) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'django_migrations'"
            )
        ]
        counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone() for name in names}  # noqa: S608
        return {name: row[0] for name, row in counts.items() if row}


def test_a_sqlite_site_moves_whole_into_an_empty_postgresql_database(
    tmp_path: Path, sqlite_site: dict[str, str], target: str
) -> None:
    moved = manage(sqlite_site, "move_data", "--to", target)

    assert moved.returncode == 0, moved.stderr[-3000:]
    printed = {line.split()[0]: line.split()[1:] for line in moved.stdout.splitlines()[1:-1]}
    source = json.loads(python(sqlite_site, FINGERPRINT))
    target_env = site_env(tmp_path, target)
    arrived = json.loads(python(target_env, FINGERPRINT))
    assert set(arrived) == set(source) == set(printed)
    for table, rows in source.items():
        assert arrived[table] == rows, table
        assert printed[table] == [str(len(rows)), str(len(rows))], table
    assert table_rows(target) == {table: len(rows) for table, rows in source.items()}
    for table in ("quiz_exam", "quiz_question", "quiz_attempt", "quiz_answer", "quiz_reviewlog", "quiz_translation"):
        assert source[table], f"the site made no rows of {table}: the round trip would prove less"
    assert (
        moved.stdout.splitlines()[-1]
        == f"Moved {sum(map(len, source.values()))} rows in {len(source)} tables; every count matches."
    )
    assert python(target_env, ADD_ROWS).strip() == f"added {len(source['quiz_exam']) + 1}"


def refused(env: dict[str, str], url: str) -> str:
    """The one line move_data exits with when it refuses url."""
    result = manage(env, "move_data", "--to", url)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def test_a_target_that_is_not_a_reachable_postgresql_database_is_refused_in_one_line(
    sqlite_site: dict[str, str],
) -> None:
    assert refused(sqlite_site, "nonsense") == "CommandError: not a database URL: 'nonsense'"
    assert refused(sqlite_site, "sqlite:////tmp/other.sqlite3") == (
        "CommandError: the target must be a PostgreSQL database (postgres://user@host:port/name)"
    )
    unreachable = refused(sqlite_site, "postgres://mover:hunter2-secret@127.0.0.1:1/drillquiz")
    assert unreachable.startswith("CommandError: cannot connect to the target: ")
    assert "hunter2-secret" not in unreachable


def test_a_target_with_rows_or_a_newer_schema_is_refused_and_left_as_it_was(
    tmp_path: Path, sqlite_site: dict[str, str], target: str
) -> None:
    target_env = site_env(tmp_path, target)
    assert manage(target_env, "migrate", "--verbosity", "0").returncode == 0
    with psycopg.connect(target, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('quiz', '9999_from_the_future', now())"
        )
    before = table_rows(target)

    assert refused(sqlite_site, target) == (
        "CommandError: the target's schema is newer than this code (quiz.9999_from_the_future); nothing was moved"
    )
    assert table_rows(target) == before

    with psycopg.connect(target, autocommit=True) as connection:
        connection.execute("DELETE FROM django_migrations WHERE name = '9999_from_the_future'")
        connection.execute("INSERT INTO quiz_tag (name, slug) VALUES ('Kept', 'kept')")
    before = table_rows(target)

    assert refused(sqlite_site, target) == "CommandError: the target is not empty: table quiz_tag has rows"
    assert table_rows(target) == before


def test_a_migrated_but_empty_target_takes_the_move(tmp_path: Path, sqlite_site: dict[str, str], target: str) -> None:
    """What an operator does first on Kubernetes: the migrate Job ran, then the data moves."""
    assert manage(site_env(tmp_path, target), "migrate", "--verbosity", "0").returncode == 0

    moved = manage(sqlite_site, "move_data", "--to", target)

    assert moved.returncode == 0, moved.stderr[-3000:]
    assert table_rows(target)["quiz_reviewlog"] == 12 * 3 + 1


def test_a_site_with_migrations_to_apply_is_told_to_migrate_first(tmp_path: Path, target: str) -> None:
    env = site_env(tmp_path, f"sqlite:///{tmp_path / 'old.sqlite3'}")
    assert manage(env, "migrate", "quiz", "0006", "--verbosity", "0").returncode == 0

    assert refused(env, target) == (
        "CommandError: this site's database has migrations to apply: run `python manage.py migrate` first"
    )
    assert table_rows(target) == {}
