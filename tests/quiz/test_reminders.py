"""Daily review reminders: the learner's own hour and day, one email a day, one SMTP connection a chunk."""

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_results.models import TaskResult
from pytest_django import Settings

from accounts.models import User
from drillquiz.payloads import InvalidTaskArguments
from jobs.services import enqueue
from notifications.email import MailServerUnavailable
from quiz import reminders
from quiz.models import Exam, ReviewItem, ReviewReminder
from quiz.tasks import send_due_review_reminders, send_review_reminder_chunk
from tests.conftest import Inbox, MailServer
from tests.factories import make_exam, make_user
from tests.processes import wait_until
from tests.sweep.world import example_savepoint

SEOUL, LOS_ANGELES = ZoneInfo("Asia/Seoul"), ZoneInfo("America/Los_Angeles")
# 2026-11-24 00:00 UTC is 09:00 on the 24th in Seoul and 16:00 on the 23rd in Los Angeles (UTC-8).
MIDNIGHT_UTC = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=12)


def due(user: User, exam: Exam, on: dt.date, count: int = 1) -> None:
    """Cards due from the start of that day where the learner lives."""
    start = dt.datetime.combine(on, dt.time.min, tzinfo=ZoneInfo(user.time_zone))
    for question in exam.questions.all()[:count]:
        ReviewItem.objects.create(user=user, question=question, due=start)


def test_a_learner_is_reminded_at_their_own_local_hour(exam: Exam) -> None:
    seoul = make_user("seoul", time_zone="Asia/Seoul", reminder_hour=9)
    la = make_user("la", time_zone="America/Los_Angeles", reminder_hour=9)
    due(seoul, exam, dt.date(2026, 11, 24))
    due(la, exam, dt.date(2026, 11, 24))

    at_seoul_nine = reminders.due_for_reminder(MIDNIGHT_UTC)
    at_la_nine = reminders.due_for_reminder(MIDNIGHT_UTC + dt.timedelta(hours=17))

    assert at_seoul_nine == [(seoul.pk, dt.date(2026, 11, 24))]
    assert at_la_nine == [(la.pk, dt.date(2026, 11, 24))]


def test_due_means_due_by_the_learners_own_date(exam: Exam) -> None:
    la = make_user("la", time_zone="America/Los_Angeles", reminder_hour=16)
    due(la, exam, dt.date(2026, 11, 24))  # tomorrow in Los Angeles at MIDNIGHT_UTC

    assert reminders.due_for_reminder(MIDNIGHT_UTC) == []

    overdue = make_user("overdue", time_zone="America/Los_Angeles", reminder_hour=16)
    due(overdue, exam, dt.date(2026, 11, 1))
    assert reminders.due_for_reminder(MIDNIGHT_UTC) == [(overdue.pk, dt.date(2026, 11, 23))]


def test_learners_who_opted_out_have_no_email_or_were_reminded_today_are_left_out(exam: Exam) -> None:
    opted_out: dict[str, dict[str, Any]] = {"off": {"reminders_enabled": False}, "no-email": {"email": ""}, "done": {}}
    for name, fields in opted_out.items():
        user = make_user(name, reminder_hour=9, **fields)
        due(user, exam, dt.date(2026, 11, 20))
    done = User.objects.get(username="done")
    ReviewReminder.objects.create(
        user=done, local_date=dt.date(2026, 11, 24), status="sent", claim="0" * 32, claimed_at=MIDNIGHT_UTC
    )

    assert reminders.due_for_reminder(MIDNIGHT_UTC) == []


def test_the_reminder_says_how_many_and_lists_at_most_ten_in_the_learners_language(exam: Exam, inbox: Inbox) -> None:
    minji = make_user("minji", language="ko")
    bob = make_user("bob", language="en")
    due(minji, exam, dt.date(2026, 11, 23), count=12)
    due(bob, exam, dt.date(2026, 11, 24), count=3)

    report = reminders.send_chunk([(minji.pk, dt.date(2026, 11, 24)), (bob.pk, dt.date(2026, 11, 24))], MIDNIGHT_UTC)

    assert report.sent == 2
    (korean,) = inbox.to("minji@example.com")
    (english,) = inbox.to("bob@example.com")
    assert korean["Subject"] == "오늘 복습 12개"
    assert english["Subject"] == "You have 3 reviews today"
    text = Inbox.body(korean)
    assert text.count("\n- Question ") == 10
    assert "오늘 복습할 문제가 12개 있습니다." in text
    assert "/accounts/unsubscribe/" in english["List-Unsubscribe"]
    assert english["Message-ID"] == f"<review-reminder.{bob.pk}.2026-11-24@127.0.0.1>"
    assert ReviewReminder.objects.filter(status="sent").count() == 2


def test_the_reminder_shows_a_questions_markdown_rendered_in_html_and_as_written_in_text(
    exam: Exam, inbox: Inbox
) -> None:
    bob = make_user("bob", language="en")
    exam.questions.filter(order=0).update(text="What does `acks_late` change? <script>alert(1)</script>")
    due(bob, exam, dt.date(2026, 11, 24))

    reminders.send_chunk([(bob.pk, dt.date(2026, 11, 24))], MIDNIGHT_UTC)

    (email,) = inbox.to("bob@example.com")
    html = Inbox.body(email, "html")
    assert "What does <code>acks_late</code> change? &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "- What does `acks_late` change? <script>alert(1)</script>" in Inbox.body(email)


def test_a_chunk_run_twice_sends_each_reminder_once(exam: Exam, inbox: Inbox) -> None:
    users = [make_user(f"user{n}") for n in range(3)]
    for user in users:
        due(user, exam, dt.date(2026, 11, 24))
    chunk = [(user.pk, dt.date(2026, 11, 24)) for user in users]

    first = reminders.send_chunk(chunk, MIDNIGHT_UTC)
    second = reminders.send_chunk(chunk, MIDNIGHT_UTC)

    assert (first.sent, second.sent, second.already_done) == (3, 0, 3)
    assert len(inbox.messages) == 3


def test_a_reminder_another_live_run_holds_is_left_to_it(exam: Exam, inbox: Inbox) -> None:
    user = make_user("user")
    due(user, exam, dt.date(2026, 11, 24))
    ReviewReminder.objects.create(
        user=user, local_date=dt.date(2026, 11, 24), claim="1" * 32, claimed_at=MIDNIGHT_UTC - dt.timedelta(minutes=1)
    )

    report = reminders.send_chunk([(user.pk, dt.date(2026, 11, 24))], MIDNIGHT_UTC)

    assert (report.sent, report.held_elsewhere) == (0, 1)
    assert inbox.messages == []


def test_a_claim_left_by_a_dead_run_is_taken_over_once_stale(exam: Exam, inbox: Inbox) -> None:
    user = make_user("user")
    due(user, exam, dt.date(2026, 11, 24))
    ReviewReminder.objects.create(
        user=user, local_date=dt.date(2026, 11, 24), claim="1" * 32, claimed_at=MIDNIGHT_UTC - dt.timedelta(hours=1)
    )

    report = reminders.send_chunk([(user.pk, dt.date(2026, 11, 24))], MIDNIGHT_UTC)

    assert report.sent == 1
    assert len(inbox.messages) == 1


def test_smtp_down_sends_nothing_keeps_nothing_claimed_and_the_retry_sends_once(
    exam: Exam, smtp_server: MailServer
) -> None:
    users = [make_user(f"user{n}") for n in range(3)]
    for user in users:
        due(user, exam, dt.date(2026, 11, 24))
    chunk = [(user.pk, dt.date(2026, 11, 24)) for user in users]
    smtp_server.stop()

    with pytest.raises(MailServerUnavailable):
        reminders.send_chunk(chunk, MIDNIGHT_UTC)
    assert not ReviewReminder.objects.exists()
    smtp_server.start()
    assert reminders.send_chunk(chunk, MIDNIGHT_UTC).sent == 3

    assert sorted(message["To"] for message in smtp_server.inbox.messages) == [f"user{n}@example.com" for n in range(3)]


def test_a_server_failing_mid_chunk_keeps_what_was_sent_and_the_retry_sends_only_the_rest(
    exam: Exam, inbox: Inbox
) -> None:
    users = [make_user(f"user{n}") for n in range(4)]
    for user in users:
        due(user, exam, dt.date(2026, 11, 24))
    chunk = [(user.pk, dt.date(2026, 11, 24)) for user in users]
    inbox.accept_only = 2

    with pytest.raises(MailServerUnavailable):
        reminders.send_chunk(chunk, MIDNIGHT_UTC)
    assert ReviewReminder.objects.filter(status="sent").count() == 2
    inbox.accept_only = -1
    assert reminders.send_chunk(chunk, MIDNIGHT_UTC).sent == 2

    assert sorted(message["To"] for message in inbox.messages) == [f"user{n}@example.com" for n in range(4)]


def test_a_refused_address_is_skipped_and_counted_not_retried(exam: Exam, inbox: Inbox) -> None:
    good, bad = make_user("good"), make_user("bad", email="nobody@invalid.example")
    for user in (good, bad):
        due(user, exam, dt.date(2026, 11, 24))
    inbox.refused_addresses.add("nobody@invalid.example")
    chunk = [(good.pk, dt.date(2026, 11, 24)), (bad.pk, dt.date(2026, 11, 24))]

    first = reminders.send_chunk(chunk, MIDNIGHT_UTC)
    again = reminders.send_chunk(chunk, MIDNIGHT_UTC)

    assert (first.sent, first.refused, again.already_done) == (1, 1, 2)
    assert [message["To"] for message in inbox.messages] == ["good@example.com"]
    assert ReviewReminder.objects.get(user=bad).status == "refused"


def test_a_chunk_runs_a_constant_number_of_queries(exam: Exam, inbox: Inbox) -> None:
    counts = []
    for size in (3, 30):
        users = [make_user(f"u{size}-{n}") for n in range(size)]
        for user in users:
            due(user, exam, dt.date(2026, 11, 24), count=2)
        with CaptureQueriesContext(connection) as queries:
            reminders.send_chunk([(user.pk, dt.date(2026, 11, 24)) for user in users], MIDNIGHT_UTC)
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert len(inbox.messages) == 33


@pytest.mark.parametrize(
    ("pairs", "problem"),
    [
        ("[[1, '2026-11-24']]", "value: Input should be a valid list"),
        ([], "value: List should have at least 1 item"),
        ([[1]], "[0][1]: Field required"),
        ([["1", "2026-11-24"]], "[0][0]: expected an integer"),
        ([[True, "2026-11-24"]], "[0][0]: expected an integer"),
        ([[1, "24/11/2026"]], "[0][1]: Input should be a valid date"),
        ([[1, 1_700_000_000]], "[0][1]: expected a date as YYYY-MM-DD"),
        ([[1, "2026-11-24"]] * 201, "value: List should have at most 200 items"),
        ([[2**63, "2026-11-24"]], "[0][0]: Input should be less than or equal to 9223372036854775807"),
    ],
)
def test_a_chunk_task_refuses_bad_arguments_at_once(db: None, pairs: object, problem: str) -> None:
    with pytest.raises(InvalidTaskArguments, match=re.escape(f"ReminderPairs: {problem}")):
        send_review_reminder_chunk(pairs)  # type: ignore[arg-type]
    assert not ReviewReminder.objects.exists()


def test_a_chunk_with_a_user_gone_since_the_fan_out_reminds_the_others(exam: Exam, inbox: Inbox) -> None:
    learner = make_user("learner")
    due(learner, exam, learner.local_today())
    today = learner.local_today().isoformat()

    with example_savepoint():  # foreign keys checked per statement, as in the worker
        result = send_review_reminder_chunk.apply(args=([[999_999, today], [learner.pk, today]],))

        assert result.state == "SUCCESS", result.traceback
        report = result.get()
        assert (report["sent"], report["nothing_due"]) == (1, 1)
        assert ReviewReminder.objects.get().user_id == learner.pk
    assert len(inbox.messages) == 1


def learners_due_this_hour() -> list[User]:
    """Two learners on opposite sides of the world, each at their reminder hour now, with reviews due."""
    exam = make_exam("python", questions=2)
    now = timezone.now()
    learners = [
        make_user("seoul", time_zone="Asia/Seoul", reminder_hour=now.astimezone(SEOUL).hour),
        make_user("la", time_zone="America/Los_Angeles", reminder_hour=now.astimezone(LOS_ANGELES).hour),
    ]
    for learner in learners:
        due(learner, exam, learner.local_today())
    return learners


def test_a_periodic_task_fired_twice_sends_each_learner_one_reminder(inbox: Inbox, celery_worker: object) -> None:
    learners_due_this_hour()

    enqueue(send_due_review_reminders.name)
    enqueue(send_due_review_reminders.name)

    chunks_done = TaskResult.objects.filter(task_name="quiz.tasks.send_review_reminder_chunk", status="SUCCESS")
    wait_until(lambda: chunks_done.count() == 2, 60, "both fan-outs' chunks to finish")
    assert sorted(message["To"] for message in inbox.messages) == ["la@example.com", "seoul@example.com"]


def test_the_chunk_task_retries_while_smtp_is_down_and_then_sends_once(
    settings: Settings, smtp_server: MailServer, celery_worker: object
) -> None:
    settings.EMAIL_RETRY_BASE_SECONDS = 0.5
    exam = make_exam("python", questions=2)
    learner = make_user("learner")
    due(learner, exam, learner.local_today())
    smtp_server.stop()

    enqueue(send_review_reminder_chunk.name, [[learner.pk, learner.local_today().isoformat()]])

    retrying = TaskResult.objects.filter(task_name="quiz.tasks.send_review_reminder_chunk", status="RETRY")
    wait_until(retrying.exists, 20, "the chunk to be retried")
    smtp_server.start()
    done = TaskResult.objects.filter(task_name="quiz.tasks.send_review_reminder_chunk", status="SUCCESS")
    wait_until(done.exists, 30, "the chunk to succeed")
    assert [message["To"] for message in smtp_server.inbox.messages] == ["learner@example.com"]
