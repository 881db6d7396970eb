"""The learner's pages on the embedded SQLite default that `make run` uses: a review, then every page."""

import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT, process_env

PAGES = ["/", "/progress/", "/reviews/", "/reviews/settings/", "/exams/sqlite/", "/attempts/"]
LEARNER_ON_SQLITE = f"""
PAGES = {PAGES!r}
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django.utils import timezone
from accounts.models import User
from quiz import attempts, services
from quiz.models import Rating
from tests.factories import make_exam
learner = User.objects.create_user("sqlite")
exam = make_exam("sqlite", questions=3)
services.add_to_review_queue(learner, [question.pk for question in exam.questions.all()], timezone.now())
services.review(services.review_queue(learner).item, Rating.GOOD)
attempts.start_attempt(learner, exam, "practice")
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(learner)
for path in PAGES:
    print(path, client.get(path).status_code)
"""


def test_reviews_and_the_progress_page_work_on_sqlite(tmp_path: Path) -> None:
    env = process_env(
        unset=("CELERY_BROKER_URL", "CACHE_URL"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DRILLQUIZ_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="drillquiz.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", LEARNER_ON_SQLITE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr[-3000:]
    statuses = dict(line.split() for line in result.stdout.splitlines())
    assert statuses == dict.fromkeys(
        ["/", "/progress/", "/reviews/", "/reviews/settings/", "/exams/sqlite/", "/attempts/"], "200"
    )
